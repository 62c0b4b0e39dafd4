// Preloaded with `node --import ./app/telemetry/preload.ts app/<service>/main.ts`, so that telemetry
// is up before the application graph is imported.
import { register } from 'node:module';
import path from 'node:path';
import { startRuntimeMetrics } from './runtime-metrics.ts';
import { startTelemetry, tracesExported } from './sdk.ts';

const options = {
  // app/gateway/main.ts -> "gateway", unless OTEL_SERVICE_NAME says otherwise.
  serviceName: process.env.OTEL_SERVICE_NAME ?? path.basename(path.dirname(process.argv[1] ?? '')),
  otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT,
};
// Under ESM, express is only instrumented when this loader hook is registered before it is imported.
// The hook wraps every module load, so it is registered only when spans are exported.
if (tracesExported(options)) register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
await startTelemetry(options);
startRuntimeMetrics();
