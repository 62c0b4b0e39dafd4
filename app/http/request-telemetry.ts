// What every service needs from each HTTP request, without the OpenTelemetry http instrumentation's
// span machinery (a measured share of every service's CPU when no span is exported):
// - the http.server.request.duration histogram, with the semantic-convention name and labels;
// - the caller's W3C trace context (or a new trace id) active for the handler, so that logs, the
//   outbox row and the NATS headers carry one trace id from the publisher to the consumers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import {
  type Context,
  context,
  isSpanContextValid,
  metrics,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace';
import { HTTP_SERVER_METER } from '../telemetry/metric-catalog.ts';

// The semantic conventions' advised boundaries for this histogram.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const ids = new RandomIdGenerator();
// Keyed by the response, which both Express handlers and plain ones hold.
const requestContexts = new WeakMap<ServerResponse, Context>();

/** The span context a request's handler runs in: the caller's trace, continued, or a new one. */
export function serverSpanContext(parent: SpanContext | undefined): SpanContext {
  if (parent && isSpanContextValid(parent)) return { traceId: parent.traceId, spanId: ids.generateSpanId(), traceFlags: parent.traceFlags };
  return { traceId: ids.generateTraceId(), spanId: ids.generateSpanId(), traceFlags: TraceFlags.NONE };
}

function requestDuration() {
  return metrics.getMeter(HTTP_SERVER_METER).createHistogram('http.server.request.duration', {
    unit: 's',
    description: 'Duration of HTTP server requests.',
    advice: { explicitBucketBoundaries: BUCKETS },
  });
}

type Histogram = ReturnType<typeof requestDuration>;

/** Records the request's duration once answered, and runs `handle` in the request's trace context. */
function observe(
  duration: Histogram,
  req: IncomingMessage,
  res: ServerResponse,
  route: () => string | undefined,
  handle: () => void,
): void {
  const startedAt = performance.now();
  res.once('finish', () => {
    const attributes: Record<string, string | number> = {
      'http.request.method': req.method ?? '',
      'http.response.status_code': res.statusCode,
      'url.scheme': 'http',
      'network.protocol.version': req.httpVersion,
    };
    const matched = route();
    if (matched) attributes['http.route'] = matched;
    duration.record((performance.now() - startedAt) / 1000, attributes);
  });
  // With traces exported, the http instrumentation has already made the request's span active.
  if (trace.getSpan(context.active())) {
    handle();
    return;
  }
  const incoming = propagation.extract(ROOT_CONTEXT, req.headers);
  const active = trace.setSpanContext(incoming, serverSpanContext(trace.getSpanContext(incoming)));
  requestContexts.set(res, active);
  context.with(active, handle);
}

export function requestTelemetry() {
  const duration = requestDuration();
  // Matched routes only, as the conventions say: a 404 must not mint a label value per path.
  const route = (req: Request) => (req.route?.path ? req.baseUrl + String(req.route.path) : undefined);
  return (req: Request, res: Response, next: NextFunction) => {
    // Scrapes and health probes are not traffic.
    if (req.url === '/metrics' || req.url.startsWith('/health')) return next();
    observe(duration, req, res, () => route(req), next);
  };
}

/** requestTelemetry for a route served without Express (plain-route.ts): `route` is its http.route. */
export function routeTelemetry(route: string) {
  const duration = requestDuration();
  return (req: IncomingMessage, res: ServerResponse, handle: () => void) => observe(duration, req, res, () => route, handle);
}

/**
 * Body parsers call back from the request stream's events, outside the request's context. Binding
 * the emitters to it (what the http instrumentation does) cost the gateway 7-20 % of its
 * throughput (npm run bench), so the handlers re-enter it once, after the body is read.
 */
export function inRequestContext<T>(res: ServerResponse, work: () => T): T {
  const active = requestContexts.get(res);
  return active ? context.with(active, work) : work();
}
