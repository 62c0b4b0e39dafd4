import { METRICS } from '../telemetry/metric-catalog.ts';
import { counter, histogram, observedGauge } from '../telemetry/instruments.ts';

export function createConsumerMetrics(pending: () => Map<string, number>) {
  observedGauge(METRICS.consumerPendingMessages, () => [...pending()].map(([consumer, n]) => [{ consumer }, n]));
  return {
    processed: counter(METRICS.consumerEventsProcessed),
    endToEndLatency: histogram(METRICS.consumerEndToEndLatency),
  };
}

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;
