import { METRICS } from '../telemetry/metric-catalog.ts';
import { counter, histogram } from '../telemetry/instruments.ts';
import { SIGNATURE_FAILURE_REASONS } from '../signature/standard-webhooks.ts';
import { BUS_FAILURE_REASONS } from '../bus/publish-event.ts';

/** Every reason a 5xx can have, so each errors_total series exists (at 0) before the first failure. */
export const GATEWAY_ERROR_REASONS = ['bus_unavailable', 'internal', 'injected_fault'] as const;

export function createGatewayMetrics() {
  const metrics = {
    received: counter(METRICS.gatewayEventsReceived),
    processingDuration: histogram(METRICS.gatewayProcessingDuration),
    errors: counter(METRICS.gatewayErrors),
    eventLag: histogram(METRICS.gatewayEventLag),
    busPublishErrors: counter(METRICS.gatewayBusPublishErrors),
    signatureFailures: counter(METRICS.gatewaySignatureFailures),
  };
  // Error counters start at zero rather than appearing at their first increment, which rate()
  // would miss: the first failures would never show in an alert.
  for (const reason of GATEWAY_ERROR_REASONS) metrics.errors.add(0, { reason });
  for (const reason of BUS_FAILURE_REASONS) metrics.busPublishErrors.add(0, { reason });
  for (const reason of SIGNATURE_FAILURE_REASONS) metrics.signatureFailures.add(0, { reason });
  return metrics;
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
