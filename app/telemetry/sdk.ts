// Starts OpenTelemetry for one service process, from the SDK parts it needs (metrics, traces,
// context, W3C propagation) rather than sdk-node, which pulls in gRPC, protobuf and exporters that
// nothing here uses. Loaded by preload.ts (node --import) before the application graph.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { HTTP_SERVER_DURATION_METRIC, HTTP_SERVER_METER } from './metric-catalog.ts';

let meterProvider: MeterProvider | undefined;
let tracerProvider: TracerProvider | undefined;
let exporter: PrometheusExporter | undefined;
let stopInstrumentations: (() => void) | undefined;

export type TelemetryOptions = {
  serviceName: string;
  /** OTLP traces go out only when an endpoint is configured; trace ids still flow for logs. */
  otlpEndpoint?: string;
};

/** True when spans leave the process: then the OpenTelemetry http/express instrumentations run. */
export function tracesExported(options: Pick<TelemetryOptions, 'otlpEndpoint'>): boolean {
  return Boolean(options.otlpEndpoint);
}

export async function startTelemetry(options: TelemetryOptions): Promise<void> {
  if (meterProvider) return;
  const resource = resourceFromAttributes({ 'service.name': options.serviceName });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));

  // The exporter's own server stays off: each service serves /metrics on its own port.
  exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  meterProvider = new MeterProvider({
    resource,
    readers: [exporter],
    views: [
      // Prometheus convention: the unit belongs in the name, and the exporter does not add it.
      // Only our own request middleware's instrument (http/request-telemetry.ts) is kept, so that the
      // http instrumentation, when it runs for traces, does not export the same series twice.
      { meterName: HTTP_SERVER_METER, instrumentName: 'http.server.request.duration', name: HTTP_SERVER_DURATION_METRIC },
      { meterName: '@opentelemetry/instrumentation-http', aggregation: { type: AggregationType.DROP } },
      { meterName: '@opentelemetry/instrumentation-undici', aggregation: { type: AggregationType.DROP } },
    ],
  });
  metrics.setGlobalMeterProvider(meterProvider);

  if (tracesExported(options)) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    // OTEL_TRACES_SAMPLER is not read here: parent-based, always on, as the SDK's default.
    // sdk-trace 3 no longer reads OTEL_BSP_SCHEDULE_DELAY itself; the variable keeps its usual meaning here.
    const scheduledDelayMillis = Number(process.env.OTEL_BSP_SCHEDULE_DELAY) || undefined;
    const processor = new BatchSpanProcessor({
      exporter: new OTLPTraceExporter(),
      ...(scheduledDelayMillis ? { scheduledDelayMillis } : {}),
    });
    tracerProvider = new TracerProvider({ resource, spanProcessors: [processor] });
    trace.setGlobalTracerProvider(tracerProvider);
    stopInstrumentations = await startTraceInstrumentations();
  } else {
    // Without an exporter nobody reads spans, and recording them cost half the gateway's throughput
    // (npm run bench). Unsampled spans still carry trace ids, so W3C context and the trace_id in logs
    // flow publisher → gateway → NATS → consumers all the same (http/request-telemetry.ts).
    tracerProvider = new TracerProvider({ resource, sampler: new AlwaysOffSampler() });
    trace.setGlobalTracerProvider(tracerProvider);
  }
}

// Span per request and per middleware layer: worth its CPU only when spans are exported. The
// instrumentations patch modules through the loader hook that preload.ts registers in this case.
async function startTraceInstrumentations(): Promise<() => void> {
  const [{ registerInstrumentations }, { HttpInstrumentation }, { ExpressInstrumentation }, { UndiciInstrumentation }] = await Promise.all([
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-express'),
    import('@opentelemetry/instrumentation-undici'),
  ]);
  return registerInstrumentations({
    instrumentations: [
      new HttpInstrumentation({
        // Scrapes and health probes are not traffic; keep them out of traces.
        ignoreIncomingRequestHook: (req) => req.url === '/metrics' || (req.url ?? '').startsWith('/health'),
      }),
      new ExpressInstrumentation(),
      new UndiciInstrumentation(),
    ],
  });
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
  stopInstrumentations?.();
  await Promise.allSettled([meterProvider?.shutdown(), tracerProvider?.shutdown()]);
  meterProvider = undefined;
  tracerProvider = undefined;
  exporter = undefined;
  stopInstrumentations = undefined;
}
