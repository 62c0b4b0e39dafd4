import { METRICS } from '../telemetry/metric-catalog.ts';
import { counter, histogram, observedGauge } from '../telemetry/instruments.ts';
import { SIGNATURE_FAILURE_REASONS } from '../signature/standard-webhooks.ts';
import { BUS_FAILURE_REASONS } from '../bus/publish-event.ts';
import { faultGaugeValues, type Faults } from './faults.ts';

/** Every reason a 5xx can have, so each errors_total series exists (at 0) before the first failure. */
export const GATEWAY_ERROR_REASONS = ['bus_unavailable', 'internal', 'injected_fault'] as const;
/** The admin rejections an operator would look for first; others appear at their first increment. */
const ADMIN_REJECTION_REASONS = ['admin_unauthorized', 'malformed_json', 'schema_invalid'] as const;

export function createGatewayMetrics() {
  const metrics = {
    received: counter(METRICS.gatewayEventsReceived),
    processingDuration: histogram(METRICS.gatewayProcessingDuration),
    errors: counter(METRICS.gatewayErrors),
    eventLag: histogram(METRICS.gatewayEventLag),
    busPublishErrors: counter(METRICS.gatewayBusPublishErrors),
    signatureFailures: counter(METRICS.gatewaySignatureFailures),
    adminRejections: counter(METRICS.gatewayAdminRejections),
  };
  // Error counters start at zero rather than appearing at their first increment, which rate()
  // would miss: the first failures would never show in an alert.
  for (const reason of GATEWAY_ERROR_REASONS) metrics.errors.add(0, { reason });
  for (const reason of BUS_FAILURE_REASONS) metrics.busPublishErrors.add(0, { reason });
  for (const reason of SIGNATURE_FAILURE_REASONS) metrics.signatureFailures.add(0, { reason });
  for (const reason of ADMIN_REJECTION_REASONS) metrics.adminRejections.add(0, { reason });
  return metrics;
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

/** Gauges read at scrape time: whether signatures are checked, and which drill faults are on. */
export function observeGatewayState(state: { signatureValidationEnabled: boolean; faults: () => Faults }): void {
  observedGauge(METRICS.gatewaySignatureValidationEnabled, () => [[{}, state.signatureValidationEnabled ? 1 : 0]]);
  observedGauge(METRICS.gatewayFaultActive, () => faultGaugeValues(state.faults()));
}
