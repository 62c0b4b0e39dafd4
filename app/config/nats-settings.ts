// The NATS settings every service shares, defined once: where the bus is, which stream, and the
// identity (nkey seed file) and CA the service connects with. The gateway, the consumers, the
// publisher and the provisioning tool spread these into their own schemas.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { publicKeyOfSeed } from '../bus/nkey-seed.ts';
import { DEFAULT_STREAM_LIMITS } from '../bus/event-stream.ts';
import { EVENT_BUS_LAYOUT } from '../bus/layout.ts';
import { env } from './env.ts';

function readable(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** A file path checked at start-up, so a wrong mount fails with exit 78 rather than a refused connection. */
function checkedFile<T>(check: (text: string) => T) {
  return env.optionalString().transform((file, ctx) => {
    if (!file) return undefined;
    try {
      return { file, ...check(readable(file)) };
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: (err as Error).message.startsWith('cannot read') ? (err as Error).message : `${file} ${(err as Error).message}`,
      });
      return z.NEVER;
    }
  });
}

export const natsClientEnv = {
  NATS_URL: env.urlList().default(['nats://127.0.0.1:4222']),
  NATS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default(EVENT_BUS_LAYOUT.stream),
  NATS_SUBJECT_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]+$/)
    .default(EVENT_BUS_LAYOUT.subjectPrefix),
  // This service's identity: a file holding its nkey user seed (SU…). Unset: anonymous, which only
  // a development nats-server accepts (a warning is logged at start).
  NATS_NKEY_SEED_FILE: checkedFile((text) => ({ publicKey: publicKeyOfSeed(text) })),
  // The CA that signed the server's certificate. Set: the connection must be TLS and the server
  // must prove its name (URL host) against this CA.
  NATS_TLS_CA_FILE: checkedFile((text) => {
    try {
      new X509Certificate(text);
    } catch {
      throw new Error('is not a PEM certificate');
    }
    return {};
  }),
};

/** The stream's shape, which the provisioning step creates and the gateway checks at start. */
export const natsStreamEnv = {
  // The publisher's default retry span is ~31 s of backoff plus six 5 s timeouts; ten minutes
  // also covers Retry-After stretches. Older replays are caught by the consumers' own dedup.
  NATS_DUPLICATE_WINDOW_SECONDS: env.positiveInt(600),
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
};

/** For the gateway and the publisher's NATS transport: how long a publish waits for its PubAck. */
export const natsPublishEnv = {
  NATS_PUBLISH_TIMEOUT_MS: env.positiveInt(2000),
};

/** How long the gateway and the consumers wait at start for what the provisioning step creates. */
export const natsStartupEnv = {
  NATS_STARTUP_WAIT_MS: env.positiveInt(60_000),
};

/** Retention, set by the provisioning step only (see DEFAULT_STREAM_LIMITS for the reasoning). */
export const natsRetentionEnv = {
  NATS_STREAM_MAX_AGE_DAYS: env.positiveInt(DEFAULT_STREAM_LIMITS.maxAgeDays),
  NATS_STREAM_MAX_BYTES: env.positiveInt(DEFAULT_STREAM_LIMITS.maxBytes),
};

type Output<Shape extends Record<string, z.ZodType>> = { [K in keyof Shape]: z.output<Shape[K]> };

export type NatsClientSettings = {
  servers: string[];
  stream: string;
  subjectPrefix: string;
  nkey?: { seedFile: string; publicKey: string };
  tls?: { caFile: string };
};

export function natsClientSettings(e: Output<typeof natsClientEnv>): NatsClientSettings {
  return {
    servers: e.NATS_URL,
    stream: e.NATS_STREAM,
    subjectPrefix: e.NATS_SUBJECT_PREFIX,
    nkey: e.NATS_NKEY_SEED_FILE && { seedFile: e.NATS_NKEY_SEED_FILE.file, publicKey: e.NATS_NKEY_SEED_FILE.publicKey },
    tls: e.NATS_TLS_CA_FILE && { caFile: e.NATS_TLS_CA_FILE.file },
  };
}

export function natsStreamSettings(e: Output<typeof natsStreamEnv>): { duplicateWindowSeconds: number; replicas: number } {
  return { duplicateWindowSeconds: e.NATS_DUPLICATE_WINDOW_SECONDS, replicas: e.NATS_STREAM_REPLICAS };
}
