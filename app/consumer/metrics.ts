import { METRICS } from '../telemetry/metric-catalog.ts';
import { counter, histogram, observedGauge } from '../telemetry/instruments.ts';

export function createConsumerMetrics(pending: () => Map<string, number>, inboxFileOk: () => boolean = () => true) {
  observedGauge(METRICS.consumerPendingMessages, () => [...pending()].map(([consumer, n]) => [{ consumer }, n]));
  observedGauge(METRICS.consumerInboxFileOk, () => [[{}, inboxFileOk() ? 1 : 0]]);
  return {
    processed: counter(METRICS.consumerEventsProcessed),
    endToEndLatency: histogram(METRICS.consumerEndToEndLatency),
  };
}

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;
