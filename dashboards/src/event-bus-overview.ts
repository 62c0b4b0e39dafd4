// Event Bus Overview: the design's six panels (flow, latency, errors, retries, lag, health), plus
// publisher attempt latency, consumer backlog, event types, alerts and the safety switches. Panel ids are stable: alert
// annotations link to them (alerts/event-bus.rules.yml, ?viewPanel=N).
import { DashboardBuilder, DatasourceVariableBuilder, DashboardLinkBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { RUNBOOK_BASE_URL } from '../../observability/conventions.ts';
import { stat, table, timeseries } from './panels.ts';

export const OVERVIEW_UID = 'event-bus-overview';
const RATE = '[$__rate_interval]';
const ACCEPTED = 'outcome=~"accepted|duplicate"';

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
        description: 'Request to JetStream acknowledgement, for accepted events. The SLO: p95 under 2 s.',
        unit: 's',
        grid: { x: 12, y: 0, w: 12, h: 8 },
        min: 0,
        targets: quantiles('webhook_gateway_processing_duration_seconds', `{${ACCEPTED}}`),
      }),
    )
    .withPanel(
      timeseries({
        id: 4,
        title: 'Errors by reason',
        description: 'Gateway 5xx, JetStream publish failures, signature failures and publisher delivery errors, per second.',
        unit: 'ops',
        grid: { x: 0, y: 8, w: 12, h: 8 },
        min: 0,
        targets: [
          { refId: 'A', expr: `sum by (reason) (rate(webhook_gateway_errors_total${RATE}))`, legend: 'gateway 5xx: {{reason}}' },
          {
            refId: 'B',
            expr: `sum by (reason) (rate(webhook_gateway_bus_publish_errors_total${RATE}))`,
            legend: 'bus publish: {{reason}}',
          },
          { refId: 'C', expr: `sum by (reason) (rate(webhook_gateway_signature_failures_total${RATE}))`, legend: 'signature: {{reason}}' },
          { refId: 'D', expr: `sum by (reason) (rate(webhook_publisher_delivery_errors_total${RATE}))`, legend: 'delivery: {{reason}}' },
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
        description: 'Retries scheduled per second; events waiting in the outbox; events waiting in the dead-letter queue for a replay.',
        unit: 'ops',
        grid: { x: 0, y: 16, w: 12, h: 8 },
        min: 0,
        unitByRefId: { B: 'short', C: 'short' },
        targets: [
          { refId: 'A', expr: `sum(rate(webhook_publisher_retries_total${RATE}))`, legend: 'retries/s' },
          { refId: 'B', expr: 'sum(webhook_publisher_queue_depth)', legend: 'outbox depth' },
          { refId: 'C', expr: 'sum(webhook_publisher_dead_letter_depth)', legend: 'dead letters' },
        ],
      }),
    )
    .withPanel(
      timeseries({
        id: 6,
        title: 'Lag',
        description: 'p95 of gateway receipt time minus occurredAt, and p95 of each consumer from occurredAt to handled.',
        unit: 's',
        grid: { x: 12, y: 16, w: 12, h: 8 },
        min: 0,
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
        ],
      }),
    )
    .withPanel(
      timeseries({
        id: 10,
        title: 'Consumer pending messages',
        description: 'Messages each durable consumer has not acknowledged yet (pending plus in flight).',
        unit: 'short',
        grid: { x: 0, y: 24, w: 8, h: 7 },
        min: 0,
        targets: [{ refId: 'A', expr: 'sum by (consumer) (event_consumer_pending_messages)', legend: '{{consumer}}' }],
      }),
    )
    .withPanel(
      stat({
        id: 7,
        title: 'Health',
        description: 'Prometheus scrape status of every service, and whether the gateway and consumers are connected to NATS.',
        unit: 'none',
        grid: { x: 8, y: 24, w: 8, h: 7 },
        mappings: [
          { type: 'value' as never, options: { '0': { text: 'DOWN', color: 'red' }, '1': { text: 'UP', color: 'green' } } } as never,
        ],
        targets: [
          { refId: 'A', expr: 'min by (job) (up{job=~"webhook-gateway|webhook-publisher|event-consumer"})', legend: '{{job}}' },
          { refId: 'B', expr: 'min by (job) (event_bus_nats_connected)', legend: 'NATS from {{job}}' },
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
        description: 'Pending and firing alerts. Each alert carries its runbook_url; the link opens the runbook index.',
        unit: 'none',
        grid: { x: 0, y: 31, w: 24, h: 7 },
        links: [{ title: 'Runbooks', url: `${RUNBOOK_BASE_URL}README.md` }],
        targets: [{ refId: 'A', expr: 'sum by (alertname, alertstate, severity, service) (ALERTS)', instant: true }],
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
