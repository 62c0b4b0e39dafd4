// The gateway's app in the test's own process, on a loopback port: for tests that watch the request
// path closely (raw sockets, the logger's lines, a clock). It writes to a real nats-server when given
// one, or else to an in-memory bus writer that records what it was given and fails when told to,
// with the errors the real one throws. Configured from environment-style settings, like main.ts.
import type { Server } from 'node:http';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { createApp } from '../../app/gateway/app.ts';
import { parseGatewayConfig, type GatewayConfig } from '../../app/gateway/config.ts';
import { BusPublishError, type BusFailureReason, type PublishResult } from '../../app/bus/publish-event.ts';
import type { EventEnvelope } from '../../app/events/envelope.ts';
import { createEventBusWriter, type EventBusWriter } from '../../app/gateway/event-bus-writer.ts';
import { listen } from '../../app/http/listen.ts';
import { startNatsServer, type NatsServer } from './nats-server.ts';
import { EVENT_BUS_LAYOUT } from '../../app/bus/layout.ts';

export type TestNats = { server: NatsServer; nc: NatsConnection; stop(): Promise<void> };

/** A nats-server with the event stream, and one connection to it. */
export async function startTestNats(dir: string): Promise<TestNats> {
  const server = await startNatsServer({ dir });
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: EVENT_BUS_LAYOUT.stream, subjects: ['buddy-events.>'] });
  return {
    server,
    nc,
    stop: async () => {
      await nc.close();
      await server.stop();
    },
  };
}

export type WrittenEvent = { event: EventEnvelope; body: Buffer; traceHeaders: Record<string, string>; sequence: number };

export type InMemoryBusWriter = EventBusWriter & {
  /** What was written, in order; a repeated event id is not written again (JetStream's duplicate window). */
  readonly written: readonly WrittenEvent[];
  /** From now on, fail every publish with BusPublishError(reason), or throw `error` (a bug); null heals. */
  failWith(failure: BusFailureReason | Error | null): void;
};

export function createInMemoryBusWriter(): InMemoryBusWriter {
  const written: WrittenEvent[] = [];
  const sequences = new Map<string, number>();
  let failure: BusFailureReason | Error | null = null;
  return {
    written,
    failWith(next) {
      failure = next;
    },
    async publish(event, body, traceHeaders): Promise<PublishResult> {
      if (failure instanceof Error) throw failure;
      if (failure) throw new BusPublishError(failure, `in-memory bus told to fail: ${failure}`);
      const seen = sequences.get(event.id);
      if (seen !== undefined) return { duplicate: true, sequence: seen };
      const sequence = written.length + 1;
      sequences.set(event.id, sequence);
      written.push({ event, body: Buffer.from(body), traceHeaders, sequence });
      return { duplicate: false, sequence };
    },
    async streamHealth() {
      if (failure) return { ok: false, detail: 'in-memory bus told to fail' };
      return { ok: true, detail: 'in-memory bus', messages: written.length };
    },
  };
}

export type InProcessGateway = {
  url: string;
  webhookUrl: string;
  config: GatewayConfig;
  busWriter: EventBusWriter;
  server: Server;
  /** Every line the gateway logged, parsed. */
  logLines: Record<string, unknown>[];
  close(): Promise<void>;
};

/** `nats`: write to that nats-server; otherwise to `busWriter`, by default a new in-memory one. */
export async function startInProcessGateway(options: {
  env: Record<string, string>;
  nats?: TestNats;
  busWriter?: EventBusWriter;
  now?: () => number;
  random?: () => number;
}): Promise<InProcessGateway> {
  const config = parseGatewayConfig(options.env);
  const logLines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
  const busWriter = options.nats ? natsBusWriter(options.nats, config) : (options.busWriter ?? createInMemoryBusWriter());
  const app = createApp({ config, busWriter, logger, now: options.now, random: options.random });
  const server = await listen(app, '127.0.0.1', 0, config.server);
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    webhookUrl: `${url}${config.endpoint}`,
    config,
    busWriter,
    server,
    logLines,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function natsBusWriter({ nc }: TestNats, config: GatewayConfig): EventBusWriter {
  const bus = { nc, isConnected: () => !nc.isClosed(), drain: async () => undefined };
  const timeoutMs = config.nats.publishTimeoutMs;
  return createEventBusWriter(bus, { stream: EVENT_BUS_LAYOUT.stream, subjectPrefix: 'buddy-events', timeoutMs });
}
