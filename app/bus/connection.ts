// One NATS connection per process, reconnecting forever, with its state observable for
// health checks and fail-fast publishing.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { observedGauge } from '../telemetry/instruments.ts';
import type { Logger } from '../telemetry/logger.ts';
import { METRICS } from '../telemetry/metric-catalog.ts';

export type BusConnection = {
  nc: NatsConnection;
  isConnected(): boolean;
  drain(): Promise<void>;
};

export async function connectToBus(options: { servers: string[]; name: string; logger: Logger }): Promise<BusConnection> {
  const { servers, name, logger } = options;
  const nc = await connect({
    servers,
    name,
    // A broker restart must not need a service restart.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    // Two missed pings at 5 s: a dead server is noticed within ~10 s even without a TCP reset.
    pingInterval: 5_000,
    maxPingOut: 2,
    // Otherwise every request builds an Error up front for its stack trace: a measured 6 % of the
    // gateway's CPU at full load (npm run bench).
    noAsyncTraces: true,
  });
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        connected = false;
        logger.warn({ nats_server: status.server }, 'nats disconnected');
      } else if (status.type === 'reconnect') {
        connected = true;
        logger.info({ nats_server: status.server }, 'nats reconnected');
      } else if (status.type === 'error') {
        logger.warn({ err: status.error }, 'nats error');
      }
    }
  })();
  logger.info({ nats_server: nc.getServer() }, 'nats connected');
  // NATS itself exposes no Prometheus metrics; its health as each client sees it is the next best thing.
  observedGauge(METRICS.natsConnected, () => [[{}, connected && !nc.isClosed() ? 1 : 0]]);
  return {
    nc,
    isConnected: () => connected && !nc.isClosed(),
    drain: async () => {
      if (!nc.isClosed()) await nc.drain();
    },
  };
}
