// Structured JSON logs (pino) with the active trace id, so a log line leads to its trace.
import { pino, type Logger } from 'pino';
import { trace } from '@opentelemetry/api';

export type { Logger };

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin() {
      const span = trace.getActiveSpan()?.spanContext();
      return span ? { trace_id: span.traceId } : {};
    },
  });
}
