// Starts OpenTelemetry for one service process. Loaded by preload.ts (node --import) so that
// instrumentations patch http and express before the application imports them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { AlwaysOffSampler, BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HTTP_SERVER_DURATION_METRIC } from './metric-catalog.ts';

let sdk: NodeSDK | undefined;
let exporter: PrometheusExporter | undefined;

export type TelemetryOptions = {
  serviceName: string;
  /** OTLP traces go out only when an endpoint is configured; spans still exist for context propagation. */
  otlpEndpoint?: string;
};

export function startTelemetry(options: TelemetryOptions): void {
  if (sdk) return;
  // The exporter's own server stays off: each service serves /metrics on its own port.
  exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const spanProcessor: SpanProcessor = options.otlpEndpoint
    ? new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })
    : new NoopSpanProcessor();
  sdk = new NodeSDK({
    // Without an exporter nobody reads spans, and recording them costs half the gateway's throughput
    // (measured by npm run bench). Unsampled spans still carry trace ids, so W3C context and the
    // trace_id in logs flow publisher → gateway → NATS → consumers all the same. With an exporter,
    // OTEL_TRACES_SAMPLER applies (default: parent-based, always on).
    ...(options.otlpEndpoint ? {} : { sampler: new AlwaysOffSampler() }),
    serviceName: options.serviceName,
    metricReaders: [exporter],
    spanProcessors: [spanProcessor],
    logRecordProcessors: [],
    views: [
      // Prometheus convention: the unit belongs in the name, and the exporter does not add it.
      { instrumentName: 'http.server.request.duration', name: HTTP_SERVER_DURATION_METRIC },
      { instrumentName: 'http.client.request.duration', name: 'http_client_request_duration_seconds' },
    ],
    instrumentations: [
      new HttpInstrumentation({
        // Scrapes and health probes are not traffic; keep them out of traces.
        ignoreIncomingRequestHook: (req) => req.url === '/metrics' || (req.url ?? '').startsWith('/health'),
      }),
      // Still needed without an exporter: it puts http.route on the HTTP server metric. Its span per
      // middleware layer is only worth its cost (about 6 % of the gateway's CPU) when spans leave.
      new ExpressInstrumentation(options.otlpEndpoint ? {} : { ignoreLayersType: Object.values(ExpressLayerType) }),
      new UndiciInstrumentation(),
    ],
  });
  sdk.start();
}

/** Serves the Prometheus text exposition; mounted on each service's own /metrics route. */
export function serveMetrics(req: IncomingMessage, res: ServerResponse): void {
  if (!exporter) {
    res.statusCode = 503;
    res.end('telemetry not started: run the service with --import ./app/telemetry/preload.ts\n');
    return;
  }
  exporter.getMetricsRequestHandler(req, res);
}

export async function stopTelemetry(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
  exporter = undefined;
}
