// Preloaded with `node --import ./app/telemetry/preload.ts app/<service>/main.ts`.
// Under ESM, express is only instrumented when the loader hook is registered and the SDK
// started before the application graph is imported; main.ts is too late for that.
import { register } from 'node:module';
import path from 'node:path';
import { startTelemetry } from './sdk.ts';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const entry = process.argv[1] ?? '';
// app/gateway/main.ts -> "gateway", unless OTEL_SERVICE_NAME says otherwise.
const serviceName = process.env.OTEL_SERVICE_NAME ?? path.basename(path.dirname(entry));
startTelemetry({ serviceName, otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT });
