// Takes due events from the outbox and delivers them concurrently, with a bounded number in flight.
// Every outcome is written back to the outbox before the event leaves the in-flight set, so a crash
// at any point leaves the event due again: delivery is at least once, deduplicated downstream.
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from '../telemetry/logger.ts';
import { contextFromHeaders } from '../telemetry/trace-context.ts';
import type { PublisherMetrics } from './metrics.ts';
import type { Outbox, OutboxRow } from './outbox.ts';
import { nextStep, statusClass, type AttemptResult, type RetryPolicy } from './retry-policy.ts';

export type SendAttempt = (row: OutboxRow, attempt: number) => Promise<AttemptResult>;

export type LastDelivery = { eventId: string; at: string; outcome: string; status: number | null; reason?: string };

export type DeliveryLoopOptions = {
  outbox: Outbox;
  send: SendAttempt;
  policy: RetryPolicy;
  maxInFlight: number;
  pollIntervalMs: number;
  metrics: PublisherMetrics;
  logger: Logger;
  now?: () => number;
  random?: () => number;
};

export type DeliveryLoop = ReturnType<typeof startDeliveryLoop>;

const tracer = trace.getTracer('webhook-publisher');

export function startDeliveryLoop(options: DeliveryLoopOptions) {
  const { outbox, send, policy, maxInFlight, pollIntervalMs, metrics, logger } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const inFlight = new Map<string, Promise<void>>();
  let lastDelivery: LastDelivery | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wakeScheduled = false;

  async function deliver(row: OutboxRow): Promise<void> {
    const attempt = row.attempts + 1;
    const parent = row.trace_headers ? contextFromHeaders(JSON.parse(row.trace_headers)) : context.active();
    await tracer.startActiveSpan('webhook deliver', { attributes: { 'event.id': row.id, 'event.type': row.type, 'webhook.attempt': attempt } }, parent, async (span) => {
      const startedAt = performance.now();
      let result: AttemptResult;
      try {
        result = await send(row, attempt);
      } catch (err) {
        result = { kind: 'connection', message: (err as Error).message };
      }
      metrics.attemptDuration.record((performance.now() - startedAt) / 1000, { event_type: row.type, status_class: statusClass(result) });
      const step = nextStep(attempt, result, policy, now(), random);
      const status = result.kind === 'response' ? result.status : null;
      const at = new Date(now()).toISOString();
      const log = { event_id: row.id, event_type: row.type, attempt, status };
      switch (step.action) {
        case 'delivered':
          outbox.markDelivered(row.id);
          metrics.events.add(1, { event_type: row.type, outcome: 'delivered' });
          lastDelivery = { eventId: row.id, at, outcome: 'delivered', status };
          logger.debug(log, 'event delivered');
          break;
        case 'retry':
          metrics.deliveryErrors.add(1, { event_type: row.type, reason: step.reason });
          metrics.retries.add(1, { event_type: row.type });
          outbox.scheduleRetry(row.id, attempt, now() + step.delayMs, status, step.reason);
          lastDelivery = { eventId: row.id, at, outcome: 'retry_scheduled', status, reason: step.reason };
          logger.warn({ ...log, reason: step.reason, retry_in_ms: step.delayMs }, 'delivery failed, will retry');
          span.setStatus({ code: SpanStatusCode.ERROR, message: step.reason });
          break;
        case 'dead_letter': {
          metrics.deliveryErrors.add(1, { event_type: row.type, reason: step.reason });
          const detail = result.kind === 'connection' ? result.message : `${step.why} after ${attempt} attempt(s)`;
          outbox.deadLetter(row.id, attempt, status, `${step.why}:${step.reason}`, detail, now());
          metrics.events.add(1, { event_type: row.type, outcome: 'dead_lettered' });
          lastDelivery = { eventId: row.id, at, outcome: 'dead_lettered', status, reason: step.reason };
          logger.error({ ...log, reason: step.reason, why: step.why }, 'event dead-lettered');
          span.setStatus({ code: SpanStatusCode.ERROR, message: `dead-lettered: ${step.reason}` });
          break;
        }
      }
      span.end();
    });
  }

  function tick(): void {
    wakeScheduled = false;
    if (stopped) return;
    clearTimeout(timer);
    const capacity = maxInFlight - inFlight.size;
    if (capacity > 0) {
      try {
        for (const row of outbox.due(now(), capacity, inFlight.keys())) {
          const work = deliver(row)
            .catch((err: unknown) => logger.error({ err, event_id: row.id }, 'delivery bookkeeping failed'))
            .finally(() => {
              inFlight.delete(row.id);
              wake();
            });
          inFlight.set(row.id, work);
        }
      } catch (err) {
        logger.error({ err }, 'reading the outbox failed');
      }
    }
    timer = setTimeout(tick, pollIntervalMs);
  }

  /** Run a tick soon (coalesced): after an enqueue, or when a slot frees up. */
  function wake(): void {
    if (stopped || wakeScheduled) return;
    wakeScheduled = true;
    setImmediate(tick);
  }

  tick();

  return {
    wake,
    lastDelivery: () => lastDelivery,
    inFlightCount: () => inFlight.size,
    /** Stops taking new work and waits for the attempts in flight to be recorded. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
