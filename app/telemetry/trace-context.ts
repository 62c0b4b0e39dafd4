// W3C trace context carried where OpenTelemetry cannot patch it for us: the outbox row and NATS headers.
import { context, propagation, type Context } from '@opentelemetry/api';

/** The active context as W3C headers (traceparent, tracestate), or {} when there is no trace. */
export function currentTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

export function contextFromHeaders(headers: Record<string, string | undefined>): Context {
  return propagation.extract(context.active(), headers);
}

export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent?.split('-')[1];
}
