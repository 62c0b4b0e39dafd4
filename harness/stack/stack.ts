// The whole event bus on one machine: nats-server (one node, or a three-node JetStream cluster),
// gateway(s), consumers and publisher(s), wired together on loopback ports. The publisher's outbox is
// a SQLite file, or a PostgreSQL server shared by one or more publisher instances. Used by the
// integration tests, the demo, and the chaos harness. NATS runs as in production: TLS, one nkey
// identity per service, and the stream and durables created by the explicit provisioning step.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsIdentity } from '../../app/bus/identities.ts';
import type { NatsCredentials } from '../../app/bus/pki.ts';
import { startEventBusNats } from './event-bus-nats.ts';
import type { NatsServer } from './nats-server.ts';
import { startPostgres, type PostgresServer } from './postgres.ts';
import { startService, type Service } from './service.ts';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../../app/gateway/config.ts';

export type Topology = 'single' | 'cluster';
export type PublisherStore = 'sqlite' | 'postgres';

export type StackOptions = {
  dir: string;
  /** cluster: three NATS nodes with the stream at three replicas, and two gateway replicas. */
  topology?: Topology;
  /** The `whsec_` secret the publisher signs with and the gateway verifies; a random one when unset. */
  signingSecret?: string;
  /** The publisher's outbox: a SQLite file (default), or a PostgreSQL server under `<dir>/postgres`. */
  store?: PublisherStore;
  /** Publisher instances (default 1); more than one needs store postgres, where they share the outbox. */
  publishers?: number;
  natsPorts?: number[];
  natsMonitorPorts?: number[];
  gatewayPorts?: number[];
  /** publisher: the first publisher's port. */
  ports?: Partial<Record<'publisher' | 'consumer', number>>;
  gatewayEnv?: Record<string, string>;
  publisherEnv?: Record<string, string>;
  /** When set, the publishers' POST /events requires it (from a 0600 file, PUBLISHER_API_TOKEN_FILE);
   *  each publisher Service carries it as `apiToken`, which createEvent sends. */
  publisherApiToken?: string;
  consumerEnv?: Record<string, string>;
};

export type Stack = {
  dir: string;
  topology: Topology;
  /** The first NATS node; all of them in natsNodes. */
  nats: NatsServer;
  natsNodes: NatsServer[];
  /** The CA, the server certificate and each identity's seed file (under `<dir>/nats/credentials`). */
  natsCredentials: NatsCredentials;
  /** NATS_URL, NATS_NKEY_SEED_FILE and NATS_TLS_CA_FILE for a service connecting as `identity`. */
  natsEnv(identity: NatsIdentity): Record<string, string>;
  /** A client connection as `identity` (tests: `auditor` reads the stream, `publisher` publishes). */
  connectNats(identity: NatsIdentity): Promise<NatsConnection>;
  /** The first gateway; all replicas in gateways. */
  gateway: Service;
  gateways: Service[];
  consumer: Service;
  store: PublisherStore;
  /** The first publisher; all instances in publishers (named publisher-1, publisher-2, ... when several). */
  publisher: Service;
  publishers: Service[];
  /** The shared outbox's server, with store postgres. */
  postgres?: PostgresServer;
  webhookUrl: string;
  webhookUrls: string[];
  /** What the publishers sign with, for tests that post to the gateway directly. */
  signingSecret: string;
  consumerDbPath: string;
  /** The SQLite outbox file (store sqlite; with postgres nothing is written there). */
  outboxPath: string;
  stop(): Promise<void>;
};

export async function startStack(options: StackOptions): Promise<Stack> {
  const { dir } = options;
  const topology = options.topology ?? 'single';
  const store = options.store ?? 'sqlite';
  const publisherCount = options.publishers ?? 1;
  if (!Number.isInteger(publisherCount) || publisherCount < 1)
    throw new Error(`publishers must be a positive integer, not ${publisherCount}`);
  if (publisherCount > 1 && store !== 'postgres')
    throw new Error('several publishers need store postgres: a SQLite outbox belongs to one process');
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const natsDir = path.join(dir, 'nats');
  // Started and provisioned (npm run nats:provision) before any service, as compose orders it.
  const bus = await startEventBusNats({ dir: natsDir, topology, ports: options.natsPorts, monitorPorts: options.natsMonitorPorts });
  const natsNodes = bus.nodes;
  // The gateway verifies signatures unless told otherwise, so every stack signs: with a fresh secret if none is given.
  const signingSecret = options.signingSecret ?? `whsec_${randomBytes(32).toString('base64')}`;
  const signing: Record<string, string> = { WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'true', WEBHOOK_SIGNATURE_SECRET: signingSecret };
  const started: Service[] = [];
  let postgres: PostgresServer | undefined;
  try {
    const gatewayCount = topology === 'cluster' ? 2 : 1;
    const replicas: Record<string, string> = topology === 'cluster' ? { NATS_STREAM_REPLICAS: '3' } : {};
    const gateways: Service[] = [];
    for (let i = 0; i < gatewayCount; i++) {
      const gateway = await startService('gateway', {
        logDir,
        name: gatewayCount > 1 ? `gateway-${i + 1}` : 'gateway',
        port: options.gatewayPorts?.[i],
        env: { ...bus.env('gateway'), ...replicas, ...signing, ...options.gatewayEnv },
      });
      gateways.push(gateway);
      started.push(gateway);
    }
    const consumerDbPath = path.join(dir, 'consumer', 'inbox.sqlite');
    const consumer = await startService('consumer', {
      logDir,
      port: options.ports?.consumer,
      env: { ...bus.env('consumer'), CONSUMER_DB_PATH: consumerDbPath, ...options.consumerEnv },
    });
    started.push(consumer);
    const webhookUrls = gateways.map((g) => `${g.url}${DEFAULT_WEBHOOK_ENDPOINT}`);
    const outboxPath = path.join(dir, 'publisher', 'outbox.sqlite');
    if (store === 'postgres') postgres = await startPostgres({ dir: path.join(dir, 'postgres') });
    const publishers: Service[] = [];
    const apiTokenEnv: Record<string, string> = {};
    if (options.publisherApiToken) {
      mkdirSync(path.join(dir, 'secrets'), { recursive: true, mode: 0o700 });
      apiTokenEnv.PUBLISHER_API_TOKEN_FILE = path.join(dir, 'secrets', 'publisher-api-token');
      writeFileSync(apiTokenEnv.PUBLISHER_API_TOKEN_FILE, `${options.publisherApiToken}\n`, { mode: 0o600 });
    }
    // One at a time: the first creates the outbox tables (the store serialises that anyway).
    for (let i = 0; i < publisherCount; i++) {
      const name = publisherCount > 1 ? `publisher-${i + 1}` : 'publisher';
      const storeEnv: Record<string, string> = postgres
        ? { PUBLISHER_STORE: 'postgres', PUBLISHER_DATABASE_URL: postgres.url, PUBLISHER_INSTANCE_ID: `publisher-${i + 1}` }
        : { PUBLISHER_OUTBOX_PATH: outboxPath };
      const service = await startService('publisher', {
        logDir,
        name,
        port: i === 0 ? options.ports?.publisher : undefined,
        env: {
          CSR_WEBHOOK_URL: webhookUrls.join(','),
          // Used only in the dual and nats transport modes (the Phase 2 migration).
          ...bus.env('publisher'),
          ...storeEnv,
          CSR_WEBHOOK_SECRET: signingSecret,
          ...apiTokenEnv,
          ...options.publisherEnv,
        },
      });
      const publisher: Service = { ...service, apiToken: options.publisherApiToken };
      publishers.push(publisher);
      started.push(publisher);
    }
    return {
      dir,
      topology,
      nats: natsNodes[0]!,
      natsNodes,
      natsCredentials: bus.credentials,
      natsEnv: bus.env,
      connectNats: bus.connect,
      gateway: gateways[0]!,
      gateways,
      consumer,
      store,
      publisher: publishers[0]!,
      publishers,
      postgres,
      webhookUrl: webhookUrls[0]!,
      webhookUrls,
      consumerDbPath,
      outboxPath,
      signingSecret,
      // Publishers first (stop producing), consumers after (finish what is in the stream), the
      // outbox's database last (the publishers settle their last rows on the way out).
      stop: async () => {
        await Promise.all(publishers.map((p) => p.stop()));
        await Promise.all(gateways.map((g) => g.stop()));
        await consumer.stop();
        await Promise.all(natsNodes.map((n) => n.stop()));
        await postgres?.stop();
      },
    };
  } catch (err) {
    await Promise.allSettled(started.map((s) => s.kill()));
    await Promise.allSettled(natsNodes.map((n) => n.kill()));
    await postgres?.kill().catch(() => undefined);
    throw err;
  }
}

/** Nothing waits in the publisher's outbox and no durable consumer has anything pending (as the
 *  consumers last read it from NATS): what the chaos run and the benchmark wait for. With several
 *  publishers any running one answers: they all count the same shared outbox. */
export async function nothingInFlight(stack: Pick<Stack, 'publisher' | 'consumer'> & { publishers?: Service[] }): Promise<boolean> {
  const asked = (stack.publishers ?? [stack.publisher]).find((p) => p.isRunning());
  if (!asked) throw new Error('no publisher is running to report the outbox depth');
  const publisher = (await (await fetch(`${asked.url}/health`)).json()) as { outbox: { depth: number } };
  const consumer = (await (await fetch(`${stack.consumer.url}/health`)).json()) as {
    consumers: Record<string, { pending: number | null }>;
  };
  return publisher.outbox.depth === 0 && Object.values(consumer.consumers).every((c) => c.pending === 0);
}
