import { BUDDY_EVENT_TYPES } from '../events/buddy-events.ts';
import { METRICS } from '../telemetry/metric-catalog.ts';
import { counter, histogram, observedGauge } from '../telemetry/instruments.ts';
import type { Outbox } from './outbox.ts';
import { DELIVERY_ERROR_REASONS } from './retry-policy.ts';

export function createPublisherMetrics(outbox: Outbox) {
  // Depths are read from the outbox at scrape time, so they are right even after a restart.
  observedGauge(METRICS.publisherQueueDepth, () => [[{}, outbox.depth()]]);
  observedGauge(METRICS.publisherDeadLetterDepth, () => [[{}, outbox.deadLetterDepth()]]);
  const metrics = {
    events: counter(METRICS.publisherEvents),
    attemptDuration: histogram(METRICS.publisherAttemptDuration),
    deliveryErrors: counter(METRICS.publisherDeliveryErrors),
    retries: counter(METRICS.publisherRetries),
  };
  // Start every outcome and error series at zero: a counter that appears at its first increment
  // loses that increment to rate(), and the first dead letter would not count in the SLO.
  for (const event_type of BUDDY_EVENT_TYPES) {
    for (const outcome of ['delivered', 'dead_lettered']) metrics.events.add(0, { event_type, outcome });
    for (const reason of DELIVERY_ERROR_REASONS) metrics.deliveryErrors.add(0, { event_type, reason });
    metrics.retries.add(0, { event_type });
  }
  return metrics;
}

export type PublisherMetrics = ReturnType<typeof createPublisherMetrics>;
