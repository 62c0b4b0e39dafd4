// Publisher (Buddy System) configuration: the design's CSR_WEBHOOK_* names, plus port and outbox path.
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { env, parseEnv, readSecretFiles } from '../config/env.ts';
import { natsClientEnv, natsClientSettings, natsPublishEnv, type NatsClientSettings } from '../config/nats-settings.ts';
import { parseSecrets } from '../signature/standard-webhooks.ts';
import { type BreakerPolicy, DEFAULT_BREAKER_POLICY } from './circuit-breaker.ts';
import { DEFAULT_JITTER, DEFAULT_MAX_RETRY_AFTER_MS, type RetryPolicy } from './retry-policy.ts';
import { transportModeSchema, type TransportMode } from './transport.ts';
import { DEFAULT_RETENTION_MS } from '../storage/retention.ts';

// Exported for docs/configuration.test.ts, which holds the guide and .env.example to these keys.
/** Webhook attempts in flight at once, by default (PUBLISHER_MAX_IN_FLIGHT). */
export const DEFAULT_MAX_IN_FLIGHT = 256;

export const schema = z
  .object({
    // Comma-separated for failover between gateway replicas: each retry goes to the next URL.
    CSR_WEBHOOK_URL: env.urlList(),
    CSR_WEBHOOK_TIMEOUT_MS: env.positiveInt(5000),
    CSR_WEBHOOK_RETRY_ATTEMPTS: env.nonNegativeInt(5),
    CSR_WEBHOOK_RETRY_BACKOFF_MS: env.positiveInt(1000),
    CSR_WEBHOOK_ENABLED: env.bool(true),
    CSR_WEBHOOK_SECRET: env.optionalString(),
    PUBLISHER_HOST: z.string().default('127.0.0.1'),
    PUBLISHER_PORT: env.port(3001),
    // sqlite: the outbox file below; postgres: PUBLISHER_DATABASE_URL, shareable by several instances.
    PUBLISHER_STORE: z.enum(['sqlite', 'postgres']).default('sqlite'),
    PUBLISHER_OUTBOX_PATH: z.string().min(1).default('data/publisher/outbox.sqlite'),
    PUBLISHER_DATABASE_URL: env.optionalString(),
    // Names this instance's claims on a shared outbox; a restart under the same id resumes at once.
    PUBLISHER_INSTANCE_ID: env.optionalString(),
    // Thousands of events/s through a gateway answering in a few ms, with room for slow attempts.
    PUBLISHER_MAX_IN_FLIGHT: env.positiveInt(DEFAULT_MAX_IN_FLIGHT),
    // POST /events requests read or waiting for their outbox commit; one more gets 503 + Retry-After.
    // 1,000 is 0.4 s of the 2,500/s ceiling: a store that far behind is overloaded, not slow.
    PUBLISHER_API_MAX_WAITING: env.positiveInt(1000),
    // Distinct events failing in a row (connection, timeout, 429, 5xx) that open the circuit.
    PUBLISHER_CIRCUIT_FAILURE_THRESHOLD: env.positiveInt(5),
    PUBLISHER_CIRCUIT_MAX_PROBE_INTERVAL_MS: env.positiveInt(30_000),
    PUBLISHER_POLL_INTERVAL_MS: env.positiveInt(200),
    // How long dual-path comparison rows are kept (app/storage/retention.ts says why 14 days).
    PUBLISHER_DUAL_PATH_RETENTION_MS: env.positiveInt(DEFAULT_RETENTION_MS),
    PUBLISHER_ADMIN_TOKEN: env.bearerToken(),
    // When set, POST /events requires `Authorization: Bearer <token>`: the Buddy app's credential.
    PUBLISHER_API_TOKEN: env.bearerToken(),
    // Phase 2 migration: webhook (default), dual (both ways, same id) or nats (straight to JetStream).
    PUBLISHER_TRANSPORT: transportModeSchema.default('webhook'),
    // When set, this file names the transport mode and SIGHUP re-reads it: a switch without a restart.
    PUBLISHER_TRANSPORT_FILE: env.optionalString(),
    // Used in the dual and nats modes only, as the publisher identity.
    ...natsClientEnv,
    ...natsPublishEnv,
  })
  .superRefine((value, ctx) => {
    if (value.PUBLISHER_STORE === 'postgres' && !value.PUBLISHER_DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['PUBLISHER_DATABASE_URL'], message: 'required when PUBLISHER_STORE=postgres' });
    }
    // The application and the operators hold different credentials: one leaked must not grant the other.
    if (value.PUBLISHER_API_TOKEN && value.PUBLISHER_API_TOKEN === value.PUBLISHER_ADMIN_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['PUBLISHER_API_TOKEN'], message: 'must differ from PUBLISHER_ADMIN_TOKEN' });
    }
    if (!value.CSR_WEBHOOK_SECRET) return;
    try {
      parseSecrets(value.CSR_WEBHOOK_SECRET);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['CSR_WEBHOOK_SECRET'], message: (err as Error).message });
    }
  });

export type PublisherConfig = {
  webhookUrls: string[];
  timeoutMs: number;
  retry: RetryPolicy;
  enabled: boolean;
  signingKeys: KeyObject[];
  host: string;
  port: number;
  store: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
  outboxPath: string;
  instanceId?: string;
  dualPathRetentionMs: number;
  maxInFlight: number;
  apiMaxWaiting: number;
  breaker: BreakerPolicy;
  pollIntervalMs: number;
  adminToken?: string;
  apiToken?: string;
  transportMode: TransportMode;
  /** When set, names the mode, and SIGHUP re-reads it. */
  transportModeFile?: string;
  nats: NatsClientSettings & { publishTimeoutMs: number };
};

/** Each may come from `<NAME>_FILE` instead (compose and Kubernetes secrets); URLs may carry a password. */
export const PUBLISHER_SECRETS = [
  'CSR_WEBHOOK_SECRET',
  'PUBLISHER_ADMIN_TOKEN',
  'PUBLISHER_API_TOKEN',
  'PUBLISHER_DATABASE_URL',
  'NATS_URL',
] as const;

export function parsePublisherConfig(source: Record<string, string | undefined>): PublisherConfig {
  const e = parseEnv(schema, readSecretFiles(source, PUBLISHER_SECRETS));
  return {
    webhookUrls: e.CSR_WEBHOOK_URL,
    timeoutMs: e.CSR_WEBHOOK_TIMEOUT_MS,
    retry: {
      maxRetries: e.CSR_WEBHOOK_RETRY_ATTEMPTS,
      baseDelayMs: e.CSR_WEBHOOK_RETRY_BACKOFF_MS,
      jitter: DEFAULT_JITTER,
      maxRetryAfterMs: DEFAULT_MAX_RETRY_AFTER_MS,
    },
    enabled: e.CSR_WEBHOOK_ENABLED,
    signingKeys: e.CSR_WEBHOOK_SECRET ? parseSecrets(e.CSR_WEBHOOK_SECRET) : [],
    host: e.PUBLISHER_HOST,
    port: e.PUBLISHER_PORT,
    store:
      e.PUBLISHER_STORE === 'postgres'
        ? { kind: 'postgres', url: e.PUBLISHER_DATABASE_URL! }
        : { kind: 'sqlite', path: e.PUBLISHER_OUTBOX_PATH },
    outboxPath: e.PUBLISHER_OUTBOX_PATH,
    instanceId: e.PUBLISHER_INSTANCE_ID,
    dualPathRetentionMs: e.PUBLISHER_DUAL_PATH_RETENTION_MS,
    maxInFlight: e.PUBLISHER_MAX_IN_FLIGHT,
    apiMaxWaiting: e.PUBLISHER_API_MAX_WAITING,
    breaker: {
      ...DEFAULT_BREAKER_POLICY,
      failureThreshold: e.PUBLISHER_CIRCUIT_FAILURE_THRESHOLD,
      maxProbeIntervalMs: e.PUBLISHER_CIRCUIT_MAX_PROBE_INTERVAL_MS,
    },
    pollIntervalMs: e.PUBLISHER_POLL_INTERVAL_MS,
    adminToken: e.PUBLISHER_ADMIN_TOKEN,
    apiToken: e.PUBLISHER_API_TOKEN,
    transportMode: e.PUBLISHER_TRANSPORT,
    transportModeFile: e.PUBLISHER_TRANSPORT_FILE,
    nats: { ...natsClientSettings(e), publishTimeoutMs: e.NATS_PUBLISH_TIMEOUT_MS },
  };
}
