// The gateway's app in the test's own process, on a loopback port, publishing to a real nats-server:
// for tests that need to watch the request path closely (raw sockets, the logger's lines, a clock)
// while keeping every component real. Configured from environment-style settings, like main.ts.
import type { Server } from 'node:http';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { createApp } from '../../app/gateway/app.ts';
import { parseGatewayConfig, type GatewayConfig } from '../../app/gateway/config.ts';
import { createEventPublisher } from '../../app/gateway/event-publisher.ts';
import { listen } from '../../app/http/listen.ts';
import { startNatsServer, type NatsServer } from './nats-server.ts';

export type TestNats = { server: NatsServer; nc: NatsConnection; stop(): Promise<void> };

/** A nats-server with the event stream, and one connection to it. */
export async function startTestNats(dir: string): Promise<TestNats> {
  const server = await startNatsServer({ dir });
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BUDDY_EVENTS', subjects: ['buddy-events.>'] });
  return {
    server,
    nc,
    stop: async () => {
      await nc.close();
      await server.stop();
    },
  };
}

export type InProcessGateway = {
  url: string;
  webhookUrl: string;
  config: GatewayConfig;
  server: Server;
  /** Every line the gateway logged, parsed. */
  logLines: Record<string, unknown>[];
  close(): Promise<void>;
};

export async function startInProcessGateway(options: { nats: TestNats; env: Record<string, string>; now?: () => number }): Promise<InProcessGateway> {
  const config = parseGatewayConfig(options.env);
  const logLines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
  const { nc } = options.nats;
  const bus = { nc, isConnected: () => !nc.isClosed(), drain: async () => undefined };
  const publisher = createEventPublisher(bus, { stream: 'BUDDY_EVENTS', subjectPrefix: 'buddy-events', timeoutMs: config.nats.publishTimeoutMs });
  const app = createApp({ config, publisher, logger, now: options.now });
  const server = await listen(app, '127.0.0.1', 0, config.server);
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    webhookUrl: `${url}${config.endpoint}`,
    config,
    server,
    logLines,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
