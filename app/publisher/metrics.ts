import { BUDDY_EVENT_TYPES } from '../events/buddy-events.ts';
import { counter, histogram, observedGauge } from '../telemetry/instruments.ts';
import { METRICS } from '../telemetry/metric-catalog.ts';
import { DELIVERY_ERROR_REASONS } from './retry-policy.ts';
import type { OutboxCounts } from './store/outbox-store.ts';
import { TRANSPORT_MODES, TRANSPORT_PATHS, type TransportMode, type TransportPath } from './transport.ts';

export type PublisherGauges = {
  /** The outbox's depths as last read (kept fresh by the publisher, so a scrape never waits on the database). */
  counts: () => OutboxCounts;
  transportMode: () => TransportMode;
  circuitOpen: (path: TransportPath) => boolean;
  /** Whether the SQLite outbox is still the file at its path; undefined for a store without a file. */
  storeFileOk?: () => boolean | undefined;
};

export function createPublisherMetrics(gauges: PublisherGauges) {
  observedGauge(METRICS.publisherQueueDepth, () => [[{}, gauges.counts().outbox]]);
  observedGauge(METRICS.publisherDeadLetterDepth, () => [[{}, gauges.counts().deadLetter]]);
  // One series per mode, 1 for the current one: a dashboard shows exactly when a switch happened.
  observedGauge(METRICS.publisherTransport, () => TRANSPORT_MODES.map((mode) => [{ mode }, mode === gauges.transportMode() ? 1 : 0]));
  observedGauge(METRICS.publisherCircuitOpen, () => TRANSPORT_PATHS.map((path) => [{ path }, gauges.circuitOpen(path) ? 1 : 0]));
  observedGauge(METRICS.publisherStoreFileOk, () => {
    const ok = gauges.storeFileOk?.();
    return ok === undefined ? [] : [[{}, ok ? 1 : 0]];
  });
  const metrics = {
    events: counter(METRICS.publisherEvents),
    attemptDuration: histogram(METRICS.publisherAttemptDuration),
    deliveryErrors: counter(METRICS.publisherDeliveryErrors),
    retries: counter(METRICS.publisherRetries),
    dualPathEvents: counter(METRICS.publisherDualPathEvents),
    dualPathDifference: histogram(METRICS.publisherDualPathDifference),
  };
  // Start every outcome and error series at zero: a counter that appears at its first increment
  // loses that increment to rate(), and the first dead letter would not count in the SLO.
  for (const event_type of BUDDY_EVENT_TYPES) {
    for (const mode of TRANSPORT_MODES)
      for (const outcome of ['delivered', 'dead_lettered']) metrics.events.add(0, { event_type, outcome, mode });
    for (const path of TRANSPORT_PATHS) {
      for (const reason of DELIVERY_ERROR_REASONS) metrics.deliveryErrors.add(0, { event_type, reason, path });
      metrics.retries.add(0, { event_type, path });
    }
  }
  for (const paths of ['both', 'webhook_only', 'nats_only']) metrics.dualPathEvents.add(0, { paths });
  return metrics;
}

export type PublisherMetrics = ReturnType<typeof createPublisherMetrics>;
