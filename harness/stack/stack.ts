// The whole event bus on one machine: nats-server (one node, or a three-node JetStream cluster),
// gateway(s), consumers and publisher, wired together on loopback ports. Used by the integration
// tests, the demo, and the chaos harness.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startNatsCluster, startNatsServer, type NatsServer } from './nats-server.ts';
import { startService, type Service } from './service.ts';

export type Topology = 'single' | 'cluster';

export type StackOptions = {
  dir: string;
  /** cluster: three NATS nodes with the stream at three replicas, and two gateway replicas. */
  topology?: Topology;
  /** A `whsec_` secret: when set, the publisher signs and the gateway verifies. */
  signingSecret?: string;
  natsPorts?: number[];
  natsMonitorPorts?: number[];
  gatewayPorts?: number[];
  ports?: Partial<Record<'publisher' | 'consumer', number>>;
  gatewayEnv?: Record<string, string>;
  publisherEnv?: Record<string, string>;
  consumerEnv?: Record<string, string>;
};

export type Stack = {
  dir: string;
  topology: Topology;
  /** The first NATS node; all of them in natsNodes. */
  nats: NatsServer;
  natsNodes: NatsServer[];
  /** The first gateway; all replicas in gateways. */
  gateway: Service;
  gateways: Service[];
  consumer: Service;
  publisher: Service;
  webhookUrl: string;
  webhookUrls: string[];
  consumerDbPath: string;
  outboxPath: string;
  stop(): Promise<void>;
};

export async function startStack(options: StackOptions): Promise<Stack> {
  const { dir } = options;
  const topology = options.topology ?? 'single';
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const natsDir = path.join(dir, 'nats');
  const natsNodes =
    topology === 'cluster'
      ? await startNatsCluster({ dir: natsDir, ports: options.natsPorts, monitorPorts: options.natsMonitorPorts })
      : [await startNatsServer({ dir: natsDir, port: options.natsPorts?.[0], monitorPort: options.natsMonitorPorts?.[0] })];
  const natsUrl = natsNodes.map((n) => n.url).join(',');
  const signing: Record<string, string> = options.signingSecret
    ? { WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'true', WEBHOOK_SIGNATURE_SECRET: options.signingSecret }
    : {};
  const started: Service[] = [];
  try {
    const gatewayCount = topology === 'cluster' ? 2 : 1;
    const replicas: Record<string, string> = topology === 'cluster' ? { NATS_STREAM_REPLICAS: '3' } : {};
    const gateways: Service[] = [];
    // One at a time: the first creates the stream, the second finds it.
    for (let i = 0; i < gatewayCount; i++) {
      const gateway = await startService('gateway', {
        logDir,
        name: gatewayCount > 1 ? `gateway-${i + 1}` : 'gateway',
        port: options.gatewayPorts?.[i],
        env: { NATS_URL: natsUrl, ...replicas, ...signing, ...options.gatewayEnv },
      });
      gateways.push(gateway);
      started.push(gateway);
    }
    const consumerDbPath = path.join(dir, 'consumer', 'inbox.sqlite');
    const consumer = await startService('consumer', { logDir, port: options.ports?.consumer, env: { NATS_URL: natsUrl, CONSUMER_DB_PATH: consumerDbPath, ...options.consumerEnv } });
    started.push(consumer);
    const webhookUrls = gateways.map((g) => `${g.url}/webhooks/buddy-events`);
    const outboxPath = path.join(dir, 'publisher', 'outbox.sqlite');
    const publisher = await startService('publisher', {
      logDir,
      port: options.ports?.publisher,
      env: {
        CSR_WEBHOOK_URL: webhookUrls.join(','),
        // Used only when the transport is dual or nats (the Phase 2 migration).
        NATS_URL: natsUrl,
        PUBLISHER_OUTBOX_PATH: outboxPath,
        ...(options.signingSecret ? { CSR_WEBHOOK_SECRET: options.signingSecret } : {}),
        ...options.publisherEnv,
      },
    });
    started.push(publisher);
    return {
      dir,
      topology,
      nats: natsNodes[0]!,
      natsNodes,
      gateway: gateways[0]!,
      gateways,
      consumer,
      publisher,
      webhookUrl: webhookUrls[0]!,
      webhookUrls,
      consumerDbPath,
      outboxPath,
      // Publisher first (stops producing), consumers last (finish what is in the stream).
      stop: async () => {
        await publisher.stop();
        await Promise.all(gateways.map((g) => g.stop()));
        await consumer.stop();
        await Promise.all(natsNodes.map((n) => n.stop()));
      },
    };
  } catch (err) {
    await Promise.allSettled(started.map((s) => s.kill()));
    await Promise.allSettled(natsNodes.map((n) => n.kill()));
    throw err;
  }
}

/** Nothing waits in the publisher's outbox and no durable consumer has anything pending (as the
 *  consumers last read it from NATS): what the chaos run and the benchmark wait for. */
export async function nothingInFlight(stack: Pick<Stack, 'publisher' | 'consumer'>): Promise<boolean> {
  const publisher = (await (await fetch(`${stack.publisher.url}/health`)).json()) as { outbox: { depth: number } };
  const consumer = (await (await fetch(`${stack.consumer.url}/health`)).json()) as { consumers: Record<string, { pending: number | null }> };
  return publisher.outbox.depth === 0 && Object.values(consumer.consumers).every((c) => c.pending === 0);
}
