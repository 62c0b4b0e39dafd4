import { METRICS } from '../telemetry/metric-catalog.ts';
import { counter, histogram, observedGauge } from '../telemetry/instruments.ts';
import type { Outbox } from './outbox.ts';

export function createPublisherMetrics(outbox: Outbox) {
  // Depths are read from the outbox at scrape time, so they are right even after a restart.
  observedGauge(METRICS.publisherQueueDepth, () => [[{}, outbox.depth()]]);
  observedGauge(METRICS.publisherDeadLetterDepth, () => [[{}, outbox.deadLetterDepth()]]);
  return {
    events: counter(METRICS.publisherEvents),
    attemptDuration: histogram(METRICS.publisherAttemptDuration),
    deliveryErrors: counter(METRICS.publisherDeliveryErrors),
    retries: counter(METRICS.publisherRetries),
  };
}

export type PublisherMetrics = ReturnType<typeof createPublisherMetrics>;
