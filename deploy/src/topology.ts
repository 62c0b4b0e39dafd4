// The names, ports and sizes every generated object agrees on, defined once. Service names are the
// Prometheus job names the alerts and SLOs already use (up{job="webhook-gateway"}), so the same
// rule files work unchanged on Kubernetes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EVENT_BUS_LAYOUT } from '../../app/bus/layout.ts';
import type { NatsIdentity } from '../../app/bus/identities.ts';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../../app/gateway/config.ts';
import { REPO_ROOT } from '../../observability/repo-root.ts';

export type ServiceId = 'gateway' | 'publisher' | 'consumer';

export type ServiceShape = {
  id: ServiceId;
  /** The Service's name and the Prometheus job name. */
  job: string;
  /** The port variable the service's config parser reads, and the port it is given. */
  portVariable: string;
  hostVariable: string;
  port: number;
  /** A port that serves /metrics alone, and the variable that sets it: Prometheus is admitted there, not to `port`. */
  metrics?: { portVariable: string; port: number };
  identity: NatsIdentity;
  probes: { liveness: string; readiness: string; startup: string };
};

export const IMAGE = 'ghcr.io/csr-platform/webhook-event-bus:0.1.0';

/** Every namespaced object lands here (deploy/kustomization.yaml); KEDA and Argo, running elsewhere, need the full names. */
export const NAMESPACE = 'event-bus';

/** The part-of label every object carries, and what the NetworkPolicies select on. */
export const PART_OF = 'webhook-event-bus';

export const SERVICES: Record<ServiceId, ServiceShape> = {
  gateway: {
    id: 'gateway',
    job: 'webhook-gateway',
    portVariable: 'WEBHOOK_PORT',
    hostVariable: 'WEBHOOK_HOST',
    port: 3000,
    // The webhook is for the publisher alone; 9464 is the OpenTelemetry Prometheus exporter's usual port.
    metrics: { portVariable: 'WEBHOOK_METRICS_PORT', port: 9464 },
    identity: 'gateway',
    // Liveness asks only whether the process answers: a NATS outage is not fixed by restarting
    // every gateway. Readiness includes the stream, so a gateway that cannot publish gets no traffic.
    probes: { liveness: '/health/webhook', readiness: '/health/all', startup: '/health/webhook' },
  },
  publisher: {
    id: 'publisher',
    job: 'webhook-publisher',
    portVariable: 'PUBLISHER_PORT',
    hostVariable: 'PUBLISHER_HOST',
    port: 3001,
    identity: 'publisher',
    // /health fails only when the outbox store is lost, and a restart is its documented fix.
    probes: { liveness: '/health', readiness: '/health', startup: '/health' },
  },
  consumer: {
    id: 'consumer',
    job: 'event-consumer',
    portVariable: 'CONSUMER_PORT',
    hostVariable: 'CONSUMER_HOST',
    port: 3002,
    identity: 'consumer',
    // /health also fails while NATS is away, which a restart does not fix: liveness only asks
    // that the event loop answers (/metrics), readiness reports the whole state.
    probes: { liveness: '/metrics', readiness: '/health', startup: '/metrics' },
  },
};

export const WEBHOOK_ENDPOINT = DEFAULT_WEBHOOK_ENDPOINT;

/** The NATS Helm chart's release: its client Service, its labels and the monitoring port. */
export const NATS = {
  release: 'nats',
  clientPort: 4222,
  clusterPort: 6222,
  monitorPort: 8222,
  exporterPort: 7777,
  /** Three nodes: a replicated stream survives one node down and keeps a quorum (2 of 3). */
  nodes: 3,
  layout: EVENT_BUS_LAYOUT,
  /** The server certificate must name this host: clients verify it against the CA. */
  url: 'nats://nats:4222',
} as const;

/** Where each pod finds its files: the nkey seed and the CA from Secrets, never from the environment. */
export const MOUNTS = {
  natsIdentity: '/run/nats/identity',
  natsCa: '/run/nats/ca',
  secrets: '/run/secrets',
  data: '/data',
  tmp: '/tmp',
} as const;

/** Secrets the manifests reference; created outside this repository (deploy/README.md says how). */
export const SECRETS = {
  natsCa: { name: 'nats-ca', key: 'ca.crt' },
  natsIdentity: (identity: NatsIdentity) => ({ name: `nats-identity-${identity}`, key: 'seed.nk' }),
  webhookSigning: { name: 'webhook-signing-secret', key: 'secret' },
  publisherApiToken: { name: 'publisher-api-token', key: 'token' },
  publisherDatabaseUrl: { name: 'publisher-database-url', key: 'url' },
  slackWebhookUrl: { name: 'alertmanager-slack', key: 'webhook-url' },
  pagerdutyRoutingKey: { name: 'alertmanager-pagerduty', key: 'routing-key' },
} as const;

export type BenchStage = { rate: number; publisherCpuMicrosPerEvent: number; consumerCpuMicrosPerEvent: number };
/** What the generator reads of docs/bench/bench.json (harness/bench/bench.ts writes it). */
export type Bench = {
  gatewayThroughput: { gateway: { perSecond: number; serverCpuMicrosPerRequest: number; natsCpuMicrosPerRequest: number } };
  pipeline: Record<'sqlite' | 'postgres', { stages: BenchStage[]; ceiling: number }>;
  peakRssMb: Record<'gateway' | 'publisher' | 'consumer' | 'publisherPostgres', number>;
};

export function loadBench(): Bench {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'docs/bench/bench.json'), 'utf8')) as Bench;
}
