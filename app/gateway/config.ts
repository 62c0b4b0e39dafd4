// Gateway (CSR Platform) configuration, named as in the Phase 1 design.
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { env, parseEnv } from '../config/env.ts';
import { parseSecrets } from '../signature/standard-webhooks.ts';

const schema = z
  .object({
    WEBHOOK_HOST: z.string().default('127.0.0.1'),
    WEBHOOK_PORT: env.port(3000),
    WEBHOOK_ENDPOINT: z.string().startsWith('/').default('/webhooks/buddy-events'),
    WEBHOOK_SIGNATURE_VALIDATION_ENABLED: env.bool(false),
    // Space-separated `whsec_` secrets: during a rotation both old and new are accepted.
    WEBHOOK_SIGNATURE_SECRET: env.optionalString(),
    WEBHOOK_SIGNATURE_TOLERANCE_SECONDS: env.positiveInt(300),
    WEBHOOK_RATE_LIMIT_ENABLED: env.bool(false),
    // Twice the design's 50 events/s peak, so the limit only bites on a runaway sender.
    WEBHOOK_RATE_LIMIT_PER_MINUTE: env.positiveInt(6000),
    WEBHOOK_MAX_BODY_BYTES: env.positiveInt(256 * 1024),
    NATS_URL: env.urlList().default(['nats://127.0.0.1:4222']),
    NATS_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/).default('BUDDY_EVENTS'),
    NATS_SUBJECT_PREFIX: z.string().regex(/^[a-z0-9_-]+$/).default('buddy-events'),
    // The publisher's default retry span is ~31 s of backoff plus six 5 s timeouts; ten minutes
    // also covers Retry-After stretches. Older replays are caught by the consumers' own dedup.
    NATS_DUPLICATE_WINDOW_SECONDS: env.positiveInt(600),
    NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
    NATS_PUBLISH_TIMEOUT_MS: env.positiveInt(2000),
    // after-publish (the only safe mode): 202 only once JetStream has acknowledged the event.
    // before-publish reproduces the Phase 1 design for the chaos harness (npm run chaos -- --design
    // phase1-naive): 202 first, publish later, so a crash in between loses an accepted event.
    GATEWAY_ACK_MODE: z.enum(['after-publish', 'before-publish']).default('after-publish'),
    // Enables the fault-injection switch (/admin/faults) used by drills. Unset: no admin routes at all.
    GATEWAY_ADMIN_TOKEN: env.optionalString(),
    // Shutdown waits this long for in-flight requests before draining NATS anyway.
    GATEWAY_SHUTDOWN_GRACE_MS: env.positiveInt(10_000),
  })
  .superRefine((value, ctx) => {
    if (value.WEBHOOK_SIGNATURE_VALIDATION_ENABLED && !value.WEBHOOK_SIGNATURE_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['WEBHOOK_SIGNATURE_SECRET'], message: 'required when WEBHOOK_SIGNATURE_VALIDATION_ENABLED=true' });
    }
    if (value.WEBHOOK_SIGNATURE_SECRET) {
      try {
        parseSecrets(value.WEBHOOK_SIGNATURE_SECRET);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['WEBHOOK_SIGNATURE_SECRET'], message: (err as Error).message });
      }
    }
  });

export type GatewayConfig = {
  host: string;
  port: number;
  endpoint: string;
  signature: { enabled: boolean; keys: KeyObject[]; toleranceSeconds: number };
  rateLimit: { enabled: boolean; perMinute: number };
  maxBodyBytes: number;
  nats: {
    servers: string[];
    stream: string;
    subjectPrefix: string;
    duplicateWindowSeconds: number;
    replicas: number;
    publishTimeoutMs: number;
  };
  shutdownGraceMs: number;
  adminToken?: string;
  ackMode: 'after-publish' | 'before-publish';
};

export function parseGatewayConfig(source: Record<string, string | undefined>): GatewayConfig {
  const e = parseEnv(schema, source);
  return {
    host: e.WEBHOOK_HOST,
    port: e.WEBHOOK_PORT,
    endpoint: e.WEBHOOK_ENDPOINT,
    signature: {
      enabled: e.WEBHOOK_SIGNATURE_VALIDATION_ENABLED,
      keys: e.WEBHOOK_SIGNATURE_SECRET ? parseSecrets(e.WEBHOOK_SIGNATURE_SECRET) : [],
      toleranceSeconds: e.WEBHOOK_SIGNATURE_TOLERANCE_SECONDS,
    },
    rateLimit: { enabled: e.WEBHOOK_RATE_LIMIT_ENABLED, perMinute: e.WEBHOOK_RATE_LIMIT_PER_MINUTE },
    maxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
    nats: {
      servers: e.NATS_URL,
      stream: e.NATS_STREAM,
      subjectPrefix: e.NATS_SUBJECT_PREFIX,
      duplicateWindowSeconds: e.NATS_DUPLICATE_WINDOW_SECONDS,
      replicas: e.NATS_STREAM_REPLICAS,
      publishTimeoutMs: e.NATS_PUBLISH_TIMEOUT_MS,
    },
    shutdownGraceMs: e.GATEWAY_SHUTDOWN_GRACE_MS,
    adminToken: e.GATEWAY_ADMIN_TOKEN,
    ackMode: e.GATEWAY_ACK_MODE,
  };
}
