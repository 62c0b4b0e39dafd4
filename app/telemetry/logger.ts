// Structured JSON logs (pino) with the active trace id, so a log line leads to its trace.
import { pino, type DestinationStream, type Logger } from 'pino';
import { trace } from '@opentelemetry/api';

export type { Logger };

// Request and event bodies carry personal data (check-in notes, comments) and never belong in a
// log: a line names an event by its id and a bad body by its size. These paths are the safety net
// for a field logged by mistake; err.body is where body-parser keeps the raw text it could not parse.
export const REDACTED_LOG_PATHS = ['body', 'rawBody', 'payload', 'data', '*.body', '*.rawBody', '*.payload', '*.data'];

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
    mixin() {
      const span = trace.getActiveSpan()?.spanContext();
      return span ? { trace_id: span.traceId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
