// The single definition of every metric the services export.
// Alerts, SLOs, dashboards and tests read names from here (or are checked against it),
// so renaming a metric is a one-line change that every consumer notices.

export type MetricKind = 'counter' | 'histogram' | 'gauge';
export type ServiceName = 'publisher' | 'gateway' | 'consumer';

export type MetricDefinition = {
  name: string;
  kind: MetricKind;
  /** The processes that export it. */
  services: readonly ServiceName[];
  help: string;
  labels: readonly string[];
  unit?: 's';
  buckets?: readonly number[];
  /** Exported only in this situation (a histogram has no series before its first observation). */
  onlyWhen?: string;
};

// Resolves 5 ms at the bottom, puts a boundary exactly on the 2 s SLO threshold,
// and still distinguishes a 30 s timeout from a 10 s one at the top.
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60] as const;

// Lag and end-to-end latency include retry backoff (up to ~31 s) and outages, so they reach further.
export const LAG_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600] as const;

export const METRICS = {
  publisherEvents: {
    name: 'webhook_publisher_events_total',
    kind: 'counter',
    services: ['publisher'],
    help: 'Events that left the outbox, by final outcome (delivered or dead_lettered) and the transport mode they left in (webhook, dual or nats).',
    labels: ['event_type', 'outcome', 'mode'],
  },
  publisherAttemptDuration: {
    name: 'webhook_publisher_attempt_duration_seconds',
    kind: 'histogram',
    services: ['publisher'],
    help: 'Duration of one delivery attempt, by transport path (webhook: the POST to the gateway; nats: the JetStream publish).',
    labels: ['event_type', 'status_class', 'path'],
    unit: 's',
    buckets: LATENCY_BUCKETS_SECONDS,
  },
  publisherDeliveryErrors: {
    name: 'webhook_publisher_delivery_errors_total',
    kind: 'counter',
    services: ['publisher'],
    help: 'Failed delivery attempts, by reason and transport path (webhook or nats).',
    labels: ['event_type', 'reason', 'path'],
  },
  publisherRetries: {
    name: 'webhook_publisher_retries_total',
    kind: 'counter',
    services: ['publisher'],
    help: 'Retries scheduled after a failed delivery attempt, by the transport path that failed (webhook or nats).',
    labels: ['event_type', 'path'],
  },
  publisherQueueDepth: {
    name: 'webhook_publisher_queue_depth',
    kind: 'gauge',
    services: ['publisher'],
    help: 'Events waiting in the outbox for delivery.',
    labels: [],
  },
  publisherDeadLetterDepth: {
    name: 'webhook_publisher_dead_letter_depth',
    kind: 'gauge',
    services: ['publisher'],
    help: 'Events in the dead-letter table, waiting for a manual replay.',
    labels: [],
  },
  publisherStoreFileOk: {
    name: 'webhook_publisher_store_file_ok',
    kind: 'gauge',
    services: ['publisher'],
    help: '1 while the open SQLite outbox is still the file at its path; 0 once it was deleted or replaced, when the publisher refuses new events until a restart.',
    labels: [],
    onlyWhen: 'the outbox is a SQLite file (PUBLISHER_STORE=sqlite, the default)',
  },
  publisherTransport: {
    name: 'webhook_publisher_transport',
    kind: 'gauge',
    services: ['publisher'],
    help: '1 for the transport mode the publisher delivers in now (webhook, dual or nats), 0 for the others.',
    labels: ['mode'],
  },
  publisherCircuitOpen: {
    name: 'webhook_publisher_circuit_open',
    kind: 'gauge',
    services: ['publisher'],
    help: '1 while the circuit breaker of a transport path (webhook or nats) is open or probing: delivery through it is paused and events keep their attempts.',
    labels: ['path'],
  },
  publisherSigningEnabled: {
    name: 'webhook_publisher_signing_enabled',
    kind: 'gauge',
    services: ['publisher'],
    help: '1 when the webhook path signs its requests (CSR_WEBHOOK_SECRET set); 0 when it sends them unsigned.',
    labels: [],
  },
  publisherDualPathEvents: {
    name: 'webhook_publisher_dual_path_events_total',
    kind: 'counter',
    services: ['publisher'],
    help: 'Events sent in dual mode, by the paths they arrived through (both, webhook_only, nats_only).',
    labels: ['paths'],
  },
  publisherDualPathDifference: {
    name: 'webhook_publisher_dual_path_difference_seconds',
    kind: 'histogram',
    services: ['publisher'],
    help: 'In dual mode, how much later the slower path acknowledged the event, by which path was faster.',
    labels: ['faster'],
    unit: 's',
    buckets: LATENCY_BUCKETS_SECONDS,
    onlyWhen: 'the publisher runs in the dual transport mode',
  },
  publisherRequestsRejected: {
    name: 'webhook_publisher_requests_rejected_total',
    kind: 'counter',
    services: ['publisher'],
    help: 'Requests to the publisher API refused, by reason: a 4xx (e.g. api_unauthorized, schema_invalid, malformed_json), or 503 overloaded.',
    labels: ['reason'],
  },
  gatewayEventsReceived: {
    name: 'webhook_gateway_events_received_total',
    kind: 'counter',
    services: ['gateway'],
    help: 'Webhook requests received, by outcome; rejected requests also carry their reason.',
    labels: ['event_type', 'outcome', 'reason'],
  },
  gatewayProcessingDuration: {
    name: 'webhook_gateway_processing_duration_seconds',
    kind: 'histogram',
    services: ['gateway'],
    help: 'Time from request receipt to response, including the JetStream acknowledgement.',
    labels: ['event_type', 'outcome'],
    unit: 's',
    buckets: LATENCY_BUCKETS_SECONDS,
  },
  gatewayErrors: {
    name: 'webhook_gateway_errors_total',
    kind: 'counter',
    services: ['gateway'],
    help: 'Requests answered with a 5xx status, by reason.',
    labels: ['reason'],
  },
  gatewayEventLag: {
    name: 'webhook_gateway_event_lag_seconds',
    kind: 'histogram',
    services: ['gateway'],
    help: 'Receipt time minus the event occurredAt.',
    labels: ['event_type'],
    unit: 's',
    buckets: LAG_BUCKETS_SECONDS,
  },
  gatewayBusPublishErrors: {
    name: 'webhook_gateway_bus_publish_errors_total',
    kind: 'counter',
    services: ['gateway'],
    help: 'Failed publishes to JetStream, by reason.',
    labels: ['reason'],
  },
  gatewaySignatureFailures: {
    name: 'webhook_gateway_signature_failures_total',
    kind: 'counter',
    services: ['gateway'],
    help: 'Webhook signature verification failures, by reason.',
    labels: ['reason'],
  },
  gatewaySignatureValidationEnabled: {
    name: 'webhook_gateway_signature_validation_enabled',
    kind: 'gauge',
    services: ['gateway'],
    help: '1 while the gateway verifies webhook signatures (the default); 0 when WEBHOOK_SIGNATURE_VALIDATION_ENABLED=false, when anyone who can reach it can send events.',
    labels: [],
  },
  gatewayFaultActive: {
    name: 'webhook_gateway_fault_active',
    kind: 'gauge',
    services: ['gateway'],
    help: 'The drill fault switch (/admin/faults) as set now, by fault: errorRate and rejectRate as shares of valid webhooks (0 to 1), delayMs in milliseconds; 0 when off.',
    labels: ['fault'],
  },
  gatewayAdminRejections: {
    name: 'webhook_gateway_admin_requests_rejected_total',
    kind: 'counter',
    services: ['gateway'],
    help: 'Requests to the admin routes (/admin/faults, /admin/events) answered with a 4xx, by reason (admin_unauthorized, malformed_json, schema_invalid, ...).',
    labels: ['reason'],
  },
  consumerEventsProcessed: {
    name: 'event_consumer_events_processed_total',
    kind: 'counter',
    services: ['consumer'],
    help: 'Messages taken from JetStream by each consumer, by outcome.',
    labels: ['consumer', 'event_type', 'outcome'],
  },
  consumerEndToEndLatency: {
    name: 'event_consumer_end_to_end_latency_seconds',
    kind: 'histogram',
    services: ['consumer'],
    help: 'Time from the event occurredAt to the end of its handler.',
    labels: ['consumer'],
    unit: 's',
    buckets: LAG_BUCKETS_SECONDS,
  },
  consumerPendingMessages: {
    name: 'event_consumer_pending_messages',
    kind: 'gauge',
    services: ['consumer'],
    help: 'Messages not yet acknowledged by each consumer (pending plus in flight).',
    labels: ['consumer'],
  },
  consumerInboxFileOk: {
    name: 'event_consumer_inbox_file_ok',
    kind: 'gauge',
    services: ['consumer'],
    help: '1 while the open SQLite inbox is still the file at its path; 0 once it was deleted or replaced, when batches are no longer acknowledged until a restart.',
    labels: [],
  },
  processHeapUsed: {
    name: 'process_heap_used_bytes',
    kind: 'gauge',
    services: ['publisher', 'gateway', 'consumer'],
    help: 'V8 heap in use (process.memoryUsage().heapUsed): the soak (npm run soak) judges a slope in it as a leak.',
    labels: [],
  },
  processEventLoopDelayP99: {
    name: 'process_event_loop_delay_p99_seconds',
    kind: 'gauge',
    services: ['publisher', 'gateway', 'consumer'],
    help: '99th percentile of the event-loop delay since the previous scrape (perf_hooks.monitorEventLoopDelay, 20 ms resolution).',
    labels: [],
  },
  natsConnected: {
    name: 'event_bus_nats_connected',
    kind: 'gauge',
    services: ['gateway', 'publisher', 'consumer'],
    help: '1 while this process is connected to NATS, 0 while it is reconnecting.',
    labels: [],
  },
} as const satisfies Record<string, MetricDefinition>;

// The HTTP server duration every service records (http/request-telemetry.ts), with OpenTelemetry's
// semantic-convention name and labels, renamed by a View to carry its unit.
export const HTTP_SERVER_DURATION_METRIC = 'http_server_request_duration_seconds';
export const HTTP_SERVER_METER = 'webhook-event-bus/http-server';

/** Every sample name a metric family exposes on /metrics (histograms expose three). */
export function exposedSeriesNames(metric: Pick<MetricDefinition, 'name' | 'kind'>): string[] {
  if (metric.kind !== 'histogram') return [metric.name];
  return [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`];
}

export const ALL_METRICS: readonly MetricDefinition[] = Object.values(METRICS);
