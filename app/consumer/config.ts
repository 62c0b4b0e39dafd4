// Consumer process configuration.
import { z } from 'zod';
import { env, parseEnv } from '../config/env.ts';

const schema = z.object({
  NATS_URL: env.urlList().default(['nats://127.0.0.1:4222']),
  NATS_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/).default('BUDDY_EVENTS'),
  NATS_SUBJECT_PREFIX: z.string().regex(/^[a-z0-9_-]+$/).default('buddy-events'),
  CONSUMER_HOST: z.string().default('127.0.0.1'),
  CONSUMER_PORT: env.port(3002),
  CONSUMER_DB_PATH: z.string().min(1).default('data/consumer/inbox.sqlite'),
  SAFETY_FLAG_WORDS: z
    .string()
    .default('unsafe,harm,hurt,abuse,threat,scared')
    .transform((v) => v.split(',').map((w) => w.trim()).filter(Boolean)),
  // After this many failed deliveries an event is parked in consumer_dead_letter rather than retried forever.
  CONSUMER_MAX_DELIVER: env.positiveInt(10),
  // Long enough for a slow handler; short enough that a crashed consumer's messages come back quickly.
  CONSUMER_ACK_WAIT_MS: env.positiveInt(30_000),
  // false reproduces the Phase 1 design for the chaos harness: no inbox dedup, so a redelivery
  // runs the handler again. Never turn it off in production.
  CONSUMER_DEDUP: env.bool(true),
  // Adds a delay to every handler: the "slow consumer" fault used by the lag drill.
  CONSUMER_HANDLER_DELAY_MS: env.nonNegativeInt(0),
});

export type ConsumerConfig = {
  nats: { servers: string[]; stream: string; subjectPrefix: string };
  host: string;
  port: number;
  dbPath: string;
  safetyWords: string[];
  maxDeliver: number;
  ackWaitMs: number;
  handlerDelayMs: number;
  dedup: boolean;
};

export function parseConsumerConfig(source: Record<string, string | undefined>): ConsumerConfig {
  const e = parseEnv(schema, source);
  return {
    nats: { servers: e.NATS_URL, stream: e.NATS_STREAM, subjectPrefix: e.NATS_SUBJECT_PREFIX },
    host: e.CONSUMER_HOST,
    port: e.CONSUMER_PORT,
    dbPath: e.CONSUMER_DB_PATH,
    safetyWords: e.SAFETY_FLAG_WORDS,
    maxDeliver: e.CONSUMER_MAX_DELIVER,
    ackWaitMs: e.CONSUMER_ACK_WAIT_MS,
    handlerDelayMs: e.CONSUMER_HANDLER_DELAY_MS,
    dedup: e.CONSUMER_DEDUP,
  };
}
