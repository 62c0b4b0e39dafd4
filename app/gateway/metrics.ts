import { METRICS } from '../telemetry/metric-catalog.ts';
import { counter, histogram } from '../telemetry/instruments.ts';

export function createGatewayMetrics() {
  return {
    received: counter(METRICS.gatewayEventsReceived),
    processingDuration: histogram(METRICS.gatewayProcessingDuration),
    errors: counter(METRICS.gatewayErrors),
    eventLag: histogram(METRICS.gatewayEventLag),
    busPublishErrors: counter(METRICS.gatewayBusPublishErrors),
    signatureFailures: counter(METRICS.gatewaySignatureFailures),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
