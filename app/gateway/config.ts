// Gateway (CSR Platform) configuration, named as in the Phase 1 design.
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { env, parseEnv, readSecretFiles } from '../config/env.ts';
import {
  natsClientEnv,
  natsClientSettings,
  natsPublishEnv,
  natsStartupEnv,
  natsStreamEnv,
  natsStreamSettings,
  type NatsClientSettings,
} from '../config/nats-settings.ts';
import { parseSecrets } from '../signature/standard-webhooks.ts';
import { MAX_EVENT_BYTES } from '../events/max-size.ts';

// The largest valid event (about 29 KB, app/events/max-size.ts) rounded up to a KiB: a bigger body
// cannot be a valid event, and reading one costs CPU and memory for nothing.
export const DEFAULT_MAX_BODY_BYTES = Math.ceil(MAX_EVENT_BYTES / 1024) * 1024;

/** Where the gateway takes webhooks unless WEBHOOK_ENDPOINT says otherwise; YAML and Markdown repeat it (checked by a test). */
export const DEFAULT_WEBHOOK_ENDPOINT = '/webhooks/buddy-events';

// Exported for docs/configuration.test.ts, which holds the guide and .env.example to these keys.
export const schema = z
  .object({
    WEBHOOK_HOST: z.string().default('127.0.0.1'),
    WEBHOOK_PORT: env.port(3000),
    // Unset: /metrics on WEBHOOK_PORT. Set: /metrics only here, so that a NetworkPolicy can let
    // Prometheus scrape without letting it reach the webhook.
    WEBHOOK_METRICS_PORT: env.optionalPort(),
    WEBHOOK_ENDPOINT: z.string().startsWith('/').default(DEFAULT_WEBHOOK_ENDPOINT),
    // On unless turned off explicitly, which is logged as a warning and shown as a gauge at every start.
    WEBHOOK_SIGNATURE_VALIDATION_ENABLED: env.bool(true),
    // Space-separated `whsec_` secrets: during a rotation both old and new are accepted.
    WEBHOOK_SIGNATURE_SECRET: env.optionalString(),
    WEBHOOK_SIGNATURE_TOLERANCE_SECONDS: env.positiveInt(300),
    WEBHOOK_RATE_LIMIT_ENABLED: env.bool(false),
    // Twice the design's 50 events/s peak, so the limit only bites on a runaway sender.
    WEBHOOK_RATE_LIMIT_PER_MINUTE: env.positiveInt(6000),
    // One bucket per client address; beyond this many the least recently seen is forgotten.
    WEBHOOK_RATE_LIMIT_MAX_CLIENTS: env.positiveInt(10_000),
    // true only behind exactly one reverse proxy that appends the client to X-Forwarded-For.
    WEBHOOK_TRUST_PROXY: env.bool(false),
    WEBHOOK_MAX_BODY_BYTES: env.positiveInt(DEFAULT_MAX_BODY_BYTES),
    // Node's defaults (60 s for headers, 300 s for the request) let a client trickling one byte every
    // few seconds hold a socket for minutes; the largest valid body takes well under a second.
    WEBHOOK_HEADERS_TIMEOUT_MS: env.positiveInt(10_000),
    WEBHOOK_REQUEST_TIMEOUT_MS: env.positiveInt(15_000),
    // Below the usual 1,024 open files per process, with room for NATS, logs and the outbox of a
    // co-located publisher; the publisher keeps at most PUBLISHER_MAX_IN_FLIGHT (256) connections.
    WEBHOOK_MAX_CONNECTIONS: env.positiveInt(900),
    ...natsClientEnv,
    // What the gateway expects of the provisioned stream; it checks them at start.
    ...natsStreamEnv,
    ...natsPublishEnv,
    ...natsStartupEnv,
    // after-publish (the only safe mode): 202 only once JetStream has acknowledged the event.
    // before-publish reproduces the Phase 1 design for the chaos harness (npm run chaos -- --design
    // phase1-naive): 202 first, publish later, so a crash in between loses an accepted event.
    GATEWAY_ACK_MODE: z.enum(['after-publish', 'before-publish']).default('after-publish'),
    // Enables the fault-injection switch (/admin/faults) used by drills. Unset: no admin routes at all.
    GATEWAY_ADMIN_TOKEN: env.bearerToken(),
    // Shutdown waits this long for in-flight requests before draining NATS anyway.
    GATEWAY_SHUTDOWN_GRACE_MS: env.positiveInt(10_000),
  })
  .superRefine((value, ctx) => {
    if (value.WEBHOOK_SIGNATURE_VALIDATION_ENABLED && !value.WEBHOOK_SIGNATURE_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_SIGNATURE_SECRET'],
        message: 'required when WEBHOOK_SIGNATURE_VALIDATION_ENABLED=true',
      });
    }
    // A secret that is configured but not checked looks protected and is not: refuse to guess.
    if (!value.WEBHOOK_SIGNATURE_VALIDATION_ENABLED && value.WEBHOOK_SIGNATURE_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_SIGNATURE_SECRET'],
        message:
          'is set while WEBHOOK_SIGNATURE_VALIDATION_ENABLED=false, so it would not be checked: remove the secret or turn validation on',
      });
    }
    // Port 0 picks a free port for each (tests), so only a fixed port can clash.
    if (value.WEBHOOK_METRICS_PORT && value.WEBHOOK_METRICS_PORT === value.WEBHOOK_PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_METRICS_PORT'],
        message: 'must differ from WEBHOOK_PORT (leave it unset to serve /metrics there)',
      });
    }
    if (value.WEBHOOK_HEADERS_TIMEOUT_MS > value.WEBHOOK_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({ code: 'custom', path: ['WEBHOOK_HEADERS_TIMEOUT_MS'], message: 'must not exceed WEBHOOK_REQUEST_TIMEOUT_MS' });
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
  /** Where /metrics is served instead of `port`, on the same host; undefined: on `port`. */
  metricsPort?: number;
  endpoint: string;
  signature: { enabled: boolean; keys: KeyObject[]; toleranceSeconds: number };
  rateLimit: { enabled: boolean; perMinute: number; maxClients: number };
  /** Take the client address from X-Forwarded-For (its last entry) rather than the socket. */
  trustProxy: boolean;
  maxBodyBytes: number;
  server: { headersTimeoutMs: number; requestTimeoutMs: number; maxConnections: number };
  nats: NatsClientSettings & {
    duplicateWindowSeconds: number;
    replicas: number;
    publishTimeoutMs: number;
    /** How long start-up waits for the provisioned stream. */
    startupWaitMs: number;
  };
  shutdownGraceMs: number;
  adminToken?: string;
  ackMode: 'after-publish' | 'before-publish';
};

/** Each may come from `<NAME>_FILE` instead (compose and Kubernetes secrets); URLs may carry a password. */
export const GATEWAY_SECRETS = ['WEBHOOK_SIGNATURE_SECRET', 'GATEWAY_ADMIN_TOKEN', 'NATS_URL'] as const;

export function parseGatewayConfig(source: Record<string, string | undefined>): GatewayConfig {
  const e = parseEnv(schema, readSecretFiles(source, GATEWAY_SECRETS));
  return {
    host: e.WEBHOOK_HOST,
    port: e.WEBHOOK_PORT,
    metricsPort: e.WEBHOOK_METRICS_PORT,
    endpoint: e.WEBHOOK_ENDPOINT,
    signature: {
      enabled: e.WEBHOOK_SIGNATURE_VALIDATION_ENABLED,
      keys: e.WEBHOOK_SIGNATURE_SECRET ? parseSecrets(e.WEBHOOK_SIGNATURE_SECRET) : [],
      toleranceSeconds: e.WEBHOOK_SIGNATURE_TOLERANCE_SECONDS,
    },
    rateLimit: {
      enabled: e.WEBHOOK_RATE_LIMIT_ENABLED,
      perMinute: e.WEBHOOK_RATE_LIMIT_PER_MINUTE,
      maxClients: e.WEBHOOK_RATE_LIMIT_MAX_CLIENTS,
    },
    trustProxy: e.WEBHOOK_TRUST_PROXY,
    maxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
    server: {
      headersTimeoutMs: e.WEBHOOK_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.WEBHOOK_REQUEST_TIMEOUT_MS,
      maxConnections: e.WEBHOOK_MAX_CONNECTIONS,
    },
    nats: {
      ...natsClientSettings(e),
      ...natsStreamSettings(e),
      publishTimeoutMs: e.NATS_PUBLISH_TIMEOUT_MS,
      startupWaitMs: e.NATS_STARTUP_WAIT_MS,
    },
    shutdownGraceMs: e.GATEWAY_SHUTDOWN_GRACE_MS,
    adminToken: e.GATEWAY_ADMIN_TOKEN,
    ackMode: e.GATEWAY_ACK_MODE,
  };
}

/** Settings that weaken the gateway on purpose: each is logged once as a warning at every start. */
export function configWarnings(config: Pick<GatewayConfig, 'signature'>): string[] {
  const warnings: string[] = [];
  if (!config.signature.enabled) {
    warnings.push(
      'WEBHOOK_SIGNATURE_VALIDATION_ENABLED=false: webhook signatures are not checked, so anyone who can reach this gateway can send events',
    );
  }
  return warnings;
}
