// Event Bus Overview: the design's six panels (flow, latency, errors, retries, lag, health), plus
// publisher attempt latency, consumer backlog, event types, alerts and the safety switches. Panel ids are stable: alert
// annotations link to them (alerts/event-bus.rules.yml, ?viewPanel=N).
// Threshold lines repeat the alert thresholds (alerts/*.rules.yml); dashboards.test.ts fails when they drift apart.
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  DashboardLinkBuilder,
  QueryVariableBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { RUNBOOK_BASE_URL } from '../../observability/conventions.ts';
import { DATASOURCE, stat, table, timeseries } from './panels.ts';

export const OVERVIEW_UID = 'event-bus-overview';
const RATE = '[$__rate_interval]';
const ACCEPTED = 'outcome=~"accepted|duplicate"';
// In the cluster topology two gateways (and three NATS nodes) share a job: these pick one out.
const SCOPE = 'job=~"$job", instance=~"$instance"';
const WARN = 'orange';
const BAD = 'red';

const variable = (name: string, label: string, query: string) =>
  new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .includeAll(true)
    .multi(true)
    .allValue('.*')
    .refresh('time' as never)
    .current({ text: 'All', value: '$__all' } as never);

const quantiles = (metric: string, selector: string, by = '') =>
  [0.5, 0.95, 0.99].map((q, i) => ({
    refId: 'ABC'[i]!,
    expr: `histogram_quantile(${q}, sum by (le${by}) (rate(${metric}_bucket${selector}${RATE})))`,
    legend: `p${q * 100}`,
  }));

export function eventBusOverview() {
  return new DashboardBuilder('Event Bus Overview')
    .uid(OVERVIEW_UID)
    .tags(['event-bus', 'generated'])
    .description('Publisher → gateway → JetStream → consumers. Generated from dashboards/src; do not edit in Grafana.')
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(variable('job', 'Job', 'label_values(up{job=~"webhook-.*|event-consumer"}, job)'))
    .withVariable(variable('instance', 'Instance', 'label_values(up{job=~"$job"}, instance)'))
    .link(new DashboardLinkBuilder('SLO Overview').type('link' as never).url('/d/event-bus-slo/event-bus-slo'))
    .withPanel(
      timeseries({
        id: 1,
        title: 'Event flow',
        description: 'Events created at the publisher, received and accepted by the gateway, and handled by each consumer.',
        unit: 'ops',
        grid: { x: 0, y: 0, w: 12, h: 8 },
        min: 0,
        targets: [
          {
            refId: 'A',
            expr: `sum(rate(http_server_request_duration_seconds_count{job="webhook-publisher", http_route="/events", http_response_status_code="202"}${RATE}))`,
            legend: 'published',
          },
          { refId: 'B', expr: `sum(rate(webhook_gateway_events_received_total${RATE}))`, legend: 'received' },
          { refId: 'C', expr: `sum(rate(webhook_gateway_events_received_total{${ACCEPTED}}${RATE}))`, legend: 'accepted' },
          {
            refId: 'D',
            expr: `sum by (consumer) (rate(event_consumer_events_processed_total{outcome="handled"}${RATE}))`,
            legend: 'consumed by {{consumer}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        id: 2,
        title: 'Gateway processing latency',
        description:
          'Request to JetStream acknowledgement, for accepted events. The SLO: p95 under 2 s (red line); WebhookProcessingLatencyHigh warns at a p95 above 1.5 s (orange).',
        unit: 's',
        grid: { x: 12, y: 0, w: 12, h: 8 },
        min: 0,
        thresholds: [
          { value: 1.5, color: WARN },
          { value: 2, color: BAD },
        ],
        targets: quantiles('webhook_gateway_processing_duration_seconds', `{${ACCEPTED}, ${SCOPE}}`),
      }),
    )
    .withPanel(
      timeseries({
        id: 4,
        title: 'Errors by reason',
        description:
          'Gateway 5xx, JetStream publish failures, signature failures and publisher delivery errors, per second; and the two error ratios the alerts read (gateway 5xx over received, 1 %; publisher errors over attempts, 5 %). Dashed lines: alert thresholds.',
        unit: 'ops',
        grid: { x: 0, y: 8, w: 12, h: 8 },
        min: 0,
        unitByRefId: { E: 'percentunit', F: 'percentunit' },
        thresholdsByRefId: {
          B: [{ value: 0.05, color: BAD }],
          C: [{ value: 0.1, color: WARN }],
          E: [{ value: 0.01, color: BAD }],
          F: [{ value: 0.05, color: WARN }],
        },
        targets: [
          { refId: 'A', expr: `sum by (reason) (rate(webhook_gateway_errors_total{${SCOPE}}${RATE}))`, legend: 'gateway 5xx: {{reason}}' },
          {
            refId: 'B',
            expr: `sum by (reason) (rate(webhook_gateway_bus_publish_errors_total{${SCOPE}}${RATE}))`,
            legend: 'bus publish: {{reason}}',
          },
          {
            refId: 'C',
            expr: `sum by (reason) (rate(webhook_gateway_signature_failures_total{${SCOPE}}${RATE}))`,
            legend: 'signature: {{reason}}',
          },
          { refId: 'D', expr: `sum by (reason) (rate(webhook_publisher_delivery_errors_total${RATE}))`, legend: 'delivery: {{reason}}' },
          // `or vector(0)`: a counter that never moved is not exported, and 0 errors is a ratio of 0, not no data.
          {
            refId: 'E',
            expr: `(sum(rate(webhook_gateway_errors_total{${SCOPE}}${RATE})) or vector(0)) / sum(rate(webhook_gateway_events_received_total{${SCOPE}}${RATE}))`,
            legend: 'gateway 5xx ratio',
          },
          {
            refId: 'F',
            expr: `(sum(rate(webhook_publisher_delivery_errors_total${RATE})) or vector(0)) / sum(rate(webhook_publisher_attempt_duration_seconds_count${RATE}))`,
            legend: 'publisher error ratio',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        id: 3,
        title: 'Publisher attempt latency',
        description: 'One webhook delivery attempt, from the publisher side (includes network and the gateway).',
        unit: 's',
        grid: { x: 12, y: 8, w: 12, h: 8 },
        min: 0,
        targets: quantiles('webhook_publisher_attempt_duration_seconds', ''),
      }),
    )
    .withPanel(
      timeseries({
        id: 5,
        title: 'Retries, outbox and dead letters',
        description:
          'Retries scheduled per second and as a share of attempts (alert above 25 %); events waiting in the outbox (alert above 3000, or above 300 while it grows by more than 0.5/s); events waiting in the dead-letter queue for a replay, and new dead letters in 5 minutes (page at 5).',
        unit: 'ops',
        grid: { x: 0, y: 16, w: 12, h: 8 },
        min: 0,
        unitByRefId: { B: 'short', C: 'short', D: 'percentunit', F: 'short' },
        thresholdsByRefId: {
          B: [
            { value: 300, color: WARN },
            { value: 3000, color: BAD },
          ],
          C: [{ value: 0, color: BAD }],
          D: [{ value: 0.25, color: WARN }],
          E: [{ value: 0.5, color: WARN }],
          F: [{ value: 5, color: BAD }],
        },
        targets: [
          { refId: 'A', expr: `sum(rate(webhook_publisher_retries_total${RATE}))`, legend: 'retries/s' },
          { refId: 'B', expr: 'sum(webhook_publisher_queue_depth)', legend: 'outbox depth' },
          { refId: 'C', expr: 'sum(webhook_publisher_dead_letter_depth)', legend: 'dead letters' },
          {
            refId: 'D',
            expr: `(sum(rate(webhook_publisher_retries_total${RATE})) or vector(0)) / sum(rate(webhook_publisher_attempt_duration_seconds_count${RATE}))`,
            legend: 'retry share of attempts',
          },
          { refId: 'E', expr: 'max(deriv(webhook_publisher_queue_depth[10m]))', legend: 'outbox growth/s' },
          {
            refId: 'F',
            expr: 'sum(increase(webhook_publisher_events_total{outcome="dead_lettered"}[5m])) or vector(0)',
            legend: 'new dead letters (5m)',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        id: 6,
        title: 'Lag',
        description:
          'p95 of gateway receipt time minus occurredAt (alert above 30 s), p95 of each consumer from occurredAt to handled, and messages each consumer has not acknowledged (alert above 1500).',
        unit: 's',
        grid: { x: 12, y: 16, w: 12, h: 8 },
        min: 0,
        unitByRefId: { C: 'short' },
        thresholdsByRefId: { A: [{ value: 30, color: WARN }], C: [{ value: 1500, color: WARN }] },
        targets: [
          {
            refId: 'A',
            expr: `histogram_quantile(0.95, sum by (le) (rate(webhook_gateway_event_lag_seconds_bucket${RATE})))`,
            legend: 'gateway event lag p95',
          },
          {
            refId: 'B',
            expr: `histogram_quantile(0.95, sum by (le, consumer) (rate(event_consumer_end_to_end_latency_seconds_bucket${RATE})))`,
            legend: 'end to end p95: {{consumer}}',
          },
          { refId: 'C', expr: 'max by (consumer) (event_consumer_pending_messages)', legend: 'pending: {{consumer}}' },
        ],
      }),
    )
    .withPanel(
      timeseries({
        id: 10,
        title: 'Consumer pending messages',
        description:
          'Messages each durable consumer has not acknowledged yet (pending plus in flight). Pending with nothing handled for 5 minutes is EventConsumerStalled; above 1500 for 10 minutes, WebhookEventLagHigh.',
        unit: 'short',
        grid: { x: 0, y: 24, w: 8, h: 7 },
        min: 0,
        // Above 0 with nothing handled is EventConsumerStalled; above 1500 is WebhookEventLagHigh.
        thresholds: [
          { value: 0, color: WARN },
          { value: 1500, color: BAD },
        ],
        targets: [{ refId: 'A', expr: 'sum by (consumer) (event_consumer_pending_messages)', legend: '{{consumer}}' }],
      }),
    )
    .withPanel(
      stat({
        id: 7,
        title: 'Health',
        description:
          'Prometheus scrape status of every service (per instance: in the cluster, one of two gateways can be down), and whether the gateway and consumers are connected to NATS.',
        unit: 'none',
        grid: { x: 8, y: 24, w: 8, h: 7 },
        // 0 is down (the alerts' `== 0`): red below 1.
        baseColor: BAD,
        thresholds: [{ value: 1, color: 'green' }],
        mappings: [
          { type: 'value' as never, options: { '0': { text: 'DOWN', color: 'red' }, '1': { text: 'UP', color: 'green' } } } as never,
        ],
        targets: [
          {
            refId: 'A',
            expr: `min by (job, instance) (up{job=~"webhook-gateway|webhook-publisher|event-consumer", ${SCOPE}})`,
            legend: '{{job}} {{instance}}',
          },
          { refId: 'B', expr: `min by (job) (event_bus_nats_connected{${SCOPE}})`, legend: 'NATS from {{job}}' },
        ],
      }),
    )
    .withPanel(
      timeseries({
        id: 8,
        title: 'Event types',
        description: 'Accepted events per second, by type.',
        unit: 'ops',
        grid: { x: 16, y: 24, w: 8, h: 7 },
        min: 0,
        targets: [
          {
            refId: 'A',
            expr: `sum by (event_type) (rate(webhook_gateway_events_received_total{outcome="accepted"}${RATE}))`,
            legend: '{{event_type}}',
          },
        ],
      }),
    )
    .withPanel(
      table({
        id: 9,
        title: 'Alerts',
        description:
          "Pending and firing alerts. Each alert carries its runbook_url; the link opens the runbook index. The Watchdog (always firing by design, the dead man's switch) is left out: its proof of life is the receiver's heartbeat.",
        unit: 'none',
        grid: { x: 0, y: 31, w: 24, h: 7 },
        links: [{ title: 'Runbooks', url: `${RUNBOOK_BASE_URL}README.md` }],
        targets: [{ refId: 'A', expr: 'sum by (alertname, alertstate, severity, service) (ALERTS{alertname!="Watchdog"})', instant: true }],
      }),
    )
    .withPanel(
      stat({
        id: 11,
        title: 'Publisher transport mode',
        description: 'How the publisher delivers now: webhook (Phase 1), dual (both ways), or nats (Phase 2). See runbooks/migration.',
        unit: 'none',
        grid: { x: 0, y: 38, w: 8, h: 7 },
        mappings: [
          { type: 'value' as never, options: { '0': { text: 'off', color: 'text' }, '1': { text: 'ACTIVE', color: 'blue' } } } as never,
        ],
        targets: [{ refId: 'A', expr: 'max by (mode) (webhook_publisher_transport)', legend: '{{mode}}' }],
      }),
    )
    .withPanel(
      timeseries({
        id: 12,
        title: 'Dual-publish comparison',
        description:
          'In dual mode: the share of events that arrived through one path only (must be 0 before a cutover), and how much later the slower path acknowledged (p95).',
        unit: 'percentunit',
        grid: { x: 8, y: 38, w: 16, h: 7 },
        min: 0,
        unitByRefId: { B: 's' },
        targets: [
          { refId: 'A', expr: 'publisher:dual_path_one_way:ratio_rate5m', legend: 'one way only' },
          { refId: 'B', expr: 'publisher:dual_path_difference_seconds:p95_rate5m', legend: 'slower path p95 behind ({{faster}} faster)' },
        ],
      }),
    )
    .withPanel(
      stat({
        id: 13,
        title: 'Safety switches',
        description:
          'Settings that are allowed but must not go unnoticed (alerts/security.rules.yml): signature checks and signing, the drill fault switch, and whether the outbox and inbox files are still the ones the services have open.',
        unit: 'none',
        grid: { x: 0, y: 45, w: 24, h: 6 },
        baseColor: BAD,
        thresholds: [{ value: 1, color: 'green' }],
        // Every series reads as a yes/no question whose safe answer is yes.
        mappings: [
          { type: 'value' as never, options: { '0': { text: 'NO', color: 'red' }, '1': { text: 'YES', color: 'green' } } } as never,
        ],
        targets: [
          { refId: 'A', expr: 'min(webhook_gateway_signature_validation_enabled)', legend: 'gateway verifies signatures?' },
          { refId: 'B', expr: 'min(webhook_publisher_signing_enabled)', legend: 'publisher signs?' },
          { refId: 'C', expr: 'min(webhook_publisher_store_file_ok)', legend: 'outbox file intact?' },
          { refId: 'D', expr: 'min(event_consumer_inbox_file_ok)', legend: 'inbox file intact?' },
          { refId: 'E', expr: 'max(webhook_gateway_fault_active) == bool 0', legend: 'no drill fault active?' },
        ],
      }),
    )
    .build();
}
