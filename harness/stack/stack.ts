// The whole event bus on one machine: nats-server, gateway, consumers and publisher, wired together
// on free loopback ports. Used by the integration tests, the demo, and the chaos harness.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startNatsServer, type NatsServer } from './nats-server.ts';
import { startService, type Service } from './service.ts';

export type StackOptions = {
  dir: string;
  /** A `whsec_` secret: when set, the publisher signs and the gateway verifies. */
  signingSecret?: string;
  natsPort?: number;
  ports?: Partial<Record<'gateway' | 'publisher' | 'consumer', number>>;
  gatewayEnv?: Record<string, string>;
  publisherEnv?: Record<string, string>;
  consumerEnv?: Record<string, string>;
};

export type Stack = {
  dir: string;
  nats: NatsServer;
  gateway: Service;
  consumer: Service;
  publisher: Service;
  webhookUrl: string;
  consumerDbPath: string;
  outboxPath: string;
  stop(): Promise<void>;
};

export async function startStack(options: StackOptions): Promise<Stack> {
  const { dir } = options;
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const nats = await startNatsServer({ dir: path.join(dir, 'nats'), port: options.natsPort });
  const signing: Record<string, string> = options.signingSecret
    ? { WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'true', WEBHOOK_SIGNATURE_SECRET: options.signingSecret }
    : {};
  const started: Service[] = [];
  try {
    const gateway = await startService('gateway', { logDir, port: options.ports?.gateway, env: { NATS_URL: nats.url, ...signing, ...options.gatewayEnv } });
    started.push(gateway);
    const consumerDbPath = path.join(dir, 'consumer', 'inbox.sqlite');
    const consumer = await startService('consumer', { logDir, port: options.ports?.consumer, env: { NATS_URL: nats.url, CONSUMER_DB_PATH: consumerDbPath, ...options.consumerEnv } });
    started.push(consumer);
    const webhookUrl = `${gateway.url}/webhooks/buddy-events`;
    const outboxPath = path.join(dir, 'publisher', 'outbox.sqlite');
    const publisher = await startService('publisher', {
      logDir,
      port: options.ports?.publisher,
      env: {
        CSR_WEBHOOK_URL: webhookUrl,
        PUBLISHER_OUTBOX_PATH: outboxPath,
        ...(options.signingSecret ? { CSR_WEBHOOK_SECRET: options.signingSecret } : {}),
        ...options.publisherEnv,
      },
    });
    started.push(publisher);
    return {
      dir,
      nats,
      gateway,
      consumer,
      publisher,
      webhookUrl,
      consumerDbPath,
      outboxPath,
      // Publisher first (stops producing), consumers last (finish what is in the stream).
      stop: async () => {
        await publisher.stop();
        await gateway.stop();
        await consumer.stop();
        await nats.stop();
      },
    };
  } catch (err) {
    await Promise.allSettled(started.map((s) => s.kill()));
    await nats.kill();
    throw err;
  }
}
