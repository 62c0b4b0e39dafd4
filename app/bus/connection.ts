// One NATS connection per process, reconnecting forever, with its state observable for
// health checks and fail-fast publishing. It authenticates as the service's identity (nkey) over
// TLS when configured; without them only a development nats-server lets it in.
import { readFileSync } from 'node:fs';
import { connect, nkeyAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { observedGauge } from '../telemetry/instruments.ts';
import type { Logger } from '../telemetry/logger.ts';
import { METRICS } from '../telemetry/metric-catalog.ts';
import { inboxPrefixFor, type NatsIdentity } from './identities.ts';

export type BusConnection = {
  nc: NatsConnection;
  isConnected(): boolean;
  drain(): Promise<void>;
};

export type BusAccess = {
  servers: string[];
  /** The identity's nkey seed file (NATS_NKEY_SEED_FILE); unset: anonymous. */
  nkey?: { seedFile: string; publicKey?: string };
  /** The CA of the server's certificate (NATS_TLS_CA_FILE); unset: TLS only if the server insists, verified against the system CAs. */
  tls?: { caFile: string };
};

/** Authentication, TLS and the identity's own reply inbox, as connect() takes them. */
export function accessOptions(
  access: BusAccess,
  identity: NatsIdentity,
): Pick<NodeConnectionOptions, 'servers' | 'authenticator' | 'tls' | 'inboxPrefix'> {
  const seed = access.nkey && new TextEncoder().encode(readFileSync(access.nkey.seedFile, 'utf8').trim());
  return {
    servers: access.servers,
    authenticator: seed ? nkeyAuthenticator(seed) : undefined,
    tls: access.tls ? { caFile: access.tls.caFile } : undefined,
    // Its permissions let each identity read replies on this prefix only (see identities.ts).
    inboxPrefix: inboxPrefixFor(identity),
  };
}

/** What a connection without identity or TLS is missing, for the one warning at start; empty when nothing is. */
export function missingProtection(access: BusAccess): string[] {
  return [...(access.nkey ? [] : ['NATS_NKEY_SEED_FILE']), ...(access.tls ? [] : ['NATS_TLS_CA_FILE'])];
}

export async function connectToBus(options: BusAccess & { identity: NatsIdentity; name: string; logger: Logger }): Promise<BusConnection> {
  const { name, logger } = options;
  const missing = missingProtection(options);
  if (missing.length) {
    const how = [...(options.nkey ? [] : ['anonymously']), ...(options.tls ? [] : ['without TLS against our CA'])].join(' and ');
    logger.warn(
      { missing },
      `${missing.join(' and ')} not set: connecting to NATS ${how}, which only a development nats-server should accept`,
    );
  }
  const nc = await connect({
    ...accessOptions(options, options.identity),
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
  logger.info({ nats_server: nc.getServer(), nats_identity: options.identity, nats_user: options.nkey?.publicKey }, 'nats connected');
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
