// Consumer process configuration.
import { z } from 'zod';
import { env, parseEnv, readSecretFiles } from '../config/env.ts';
import { natsClientEnv, natsClientSettings, natsStartupEnv, type NatsClientSettings } from '../config/nats-settings.ts';
import { DEFAULT_RETENTION_MS } from '../storage/retention.ts';

// Exported for docs/configuration.test.ts, which holds the guide and .env.example to these keys.
export const schema = z.object({
  ...natsClientEnv,
  ...natsStartupEnv,
  CONSUMER_HOST: z.string().default('127.0.0.1'),
  CONSUMER_PORT: env.port(3002),
  CONSUMER_DB_PATH: z.string().min(1).default('data/consumer/inbox.sqlite'),
  SAFETY_FLAG_WORDS: z
    .string()
    .default('unsafe,harm,hurt,abuse,threat,scared')
    .transform((v) =>
      v
        .split(',')
        .map((w) => w.trim())
        .filter(Boolean),
    ),
  // CONSUMER_MAX_DELIVER and CONSUMER_ACK_WAIT_MS belong to the durables, set by npm run nats:provision.
  // false reproduces the Phase 1 design for the chaos harness: no inbox dedup, so a redelivery
  // runs the handler again. Never turn it off in production.
  CONSUMER_DEDUP: env.bool(true),
  // Adds a delay to every handler: the "slow consumer" fault used by the lag drill.
  CONSUMER_HANDLER_DELAY_MS: env.nonNegativeInt(0),
  // How long processed and delivery_log rows are kept; must exceed the stream's max_age (app/storage/retention.ts).
  CONSUMER_INBOX_RETENTION_MS: env.positiveInt(DEFAULT_RETENTION_MS),
});

export type ConsumerConfig = {
  nats: NatsClientSettings;
  /** How long start-up waits for the provisioned durables. */
  startupWaitMs: number;
  host: string;
  port: number;
  dbPath: string;
  safetyWords: string[];
  handlerDelayMs: number;
  dedup: boolean;
  inboxRetentionMs: number;
};

/** May come from `<NAME>_FILE` instead (compose and Kubernetes secrets): a NATS URL may carry a password. */
export const CONSUMER_SECRETS = ['NATS_URL'] as const;

export function parseConsumerConfig(source: Record<string, string | undefined>): ConsumerConfig {
  const e = parseEnv(schema, readSecretFiles(source, CONSUMER_SECRETS));
  return {
    nats: natsClientSettings(e),
    startupWaitMs: e.NATS_STARTUP_WAIT_MS,
    host: e.CONSUMER_HOST,
    port: e.CONSUMER_PORT,
    dbPath: e.CONSUMER_DB_PATH,
    safetyWords: e.SAFETY_FLAG_WORDS,
    handlerDelayMs: e.CONSUMER_HANDLER_DELAY_MS,
    dedup: e.CONSUMER_DEDUP,
    inboxRetentionMs: e.CONSUMER_INBOX_RETENTION_MS,
  };
}
