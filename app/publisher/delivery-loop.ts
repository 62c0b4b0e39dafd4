// Takes due events from the outbox and delivers them concurrently, with a bounded number in flight,
// through every transport the current setting names (webhook, JetStream, or both while migrating).
// Every outcome is written back to the outbox before the event leaves the in-flight set, so a crash
// at any point leaves the event due again: delivery is at least once, deduplicated downstream.
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from '../telemetry/logger.ts';
import { contextFromHeaders } from '../telemetry/trace-context.ts';
import type { PublisherMetrics } from './metrics.ts';
import { groupCommit } from './group-commit.ts';
import type { Outbox, OutboxRow } from './outbox.ts';
import { nextStep, statusClass, type AttemptResult, type NextStep, type RetryPolicy } from './retry-policy.ts';
import { TRANSPORTS_OF, type Transport, type TransportMode } from './transport.ts';

export type SendAttempt = (row: OutboxRow, attempt: number, transport: Transport) => Promise<AttemptResult>;

export type LastDelivery = { eventId: string; at: string; outcome: string; status: number | null; reason?: string; transport: TransportMode };

export type DeliveryLoopOptions = {
  outbox: Outbox;
  send: SendAttempt;
  /** Read at every attempt, so a switch applies to events already queued. */
  transportMode: () => TransportMode;
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

/** Of several failed transports, the one that decides: a dead letter beats a retry, a longer wait beats a shorter. */
export function decidingStep(steps: readonly Exclude<NextStep, { action: 'delivered' }>[]): Exclude<NextStep, { action: 'delivered' }> {
  return [...steps].sort((a, b) => (a.action === 'dead_letter' ? -1 : b.action === 'dead_letter' ? 1 : b.delayMs - a.delayMs))[0]!;
}

export function startDeliveryLoop(options: DeliveryLoopOptions) {
  const { outbox, send, policy, maxInFlight, pollIntervalMs, metrics, logger } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const inFlight = new Map<string, Promise<void>>();
  let lastDelivery: LastDelivery | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wakeScheduled = false;
  // Deliveries that finish together are forgotten in one transaction; the row stays in flight
  // (not due again) until its removal is committed.
  const markDelivered = groupCommit((ids: string[]) => {
    outbox.markDeliveredMany(ids);
    return ids.map(() => undefined);
  });

  async function attemptOne(row: OutboxRow, attempt: number, transport: Transport) {
    const startedAt = performance.now();
    let result: AttemptResult;
    try {
      result = await send(row, attempt, transport);
    } catch (err) {
      result = { kind: 'connection', message: (err as Error).message };
    }
    metrics.attemptDuration.record((performance.now() - startedAt) / 1000, { event_type: row.type, status_class: statusClass(result), transport });
    return { transport, result, step: nextStep(attempt, result, policy, now(), random) };
  }

  /** Dual mode: which paths acknowledged the event, and how far apart. */
  function compareDualPaths(row: OutboxRow, webhookAt: number | null, natsAt: number | null) {
    const paths = outbox.recordDualPath({ id: row.id, webhook_at: webhookAt, nats_at: natsAt, completed_at: now() });
    metrics.dualPathEvents.add(1, { paths });
    if (webhookAt !== null && natsAt !== null) {
      metrics.dualPathDifference.record(Math.abs(natsAt - webhookAt) / 1000, { faster: webhookAt <= natsAt ? 'webhook' : 'nats' });
    }
  }

  async function deliver(row: OutboxRow): Promise<void> {
    const attempt = row.attempts + 1;
    const mode = options.transportMode();
    const doneAt: Record<Transport, number | null> = { webhook: row.webhook_done_at, nats: row.nats_done_at };
    const todo = TRANSPORTS_OF[mode].filter((t) => doneAt[t] === null);
    const parent = row.trace_headers ? contextFromHeaders(JSON.parse(row.trace_headers)) : context.active();
    await tracer.startActiveSpan('event deliver', { attributes: { 'event.id': row.id, 'event.type': row.type, 'delivery.attempt': attempt, 'delivery.transport': mode } }, parent, async (span) => {
      const outcomes = await Promise.all(todo.map((t) => attemptOne(row, attempt, t)));
      const delivered = outcomes.filter((o) => o.step.action === 'delivered').map((o) => o.transport);
      const at = now();
      if (delivered.length) outbox.markTransportsDone(row.id, delivered, at);
      for (const t of delivered) doneAt[t] = at;
      const failures = outcomes.flatMap((o) => (o.step.action === 'delivered' ? [] : [{ ...o, step: o.step }]));
      const first = outcomes[0]?.result;
      const status = first?.kind === 'response' ? first.status : null;
      const log = { event_id: row.id, event_type: row.type, attempt, status, transport: mode };

      if (failures.length === 0) {
        await markDelivered(row.id);
        if (mode === 'dual') compareDualPaths(row, doneAt.webhook, doneAt.nats);
        metrics.events.add(1, { event_type: row.type, outcome: 'delivered', transport: mode });
        lastDelivery = { eventId: row.id, at: new Date(at).toISOString(), outcome: 'delivered', status, transport: mode };
        logger.debug(log, 'event delivered');
        span.end();
        return;
      }
      for (const f of failures) metrics.deliveryErrors.add(1, { event_type: row.type, reason: f.step.reason, transport: f.transport });
      const step = decidingStep(failures.map((f) => f.step));
      const failedStatus = failures[0]!.result.kind === 'response' ? (failures[0]!.result as { status: number }).status : null;
      if (step.action === 'retry') {
        for (const f of failures) metrics.retries.add(1, { event_type: row.type, transport: f.transport });
        outbox.scheduleRetry(row.id, attempt, at + step.delayMs, failedStatus, step.reason);
        lastDelivery = { eventId: row.id, at: new Date(at).toISOString(), outcome: 'retry_scheduled', status: failedStatus, reason: step.reason, transport: mode };
        logger.warn({ ...log, status: failedStatus, reason: step.reason, failed: failures.map((f) => f.transport), retry_in_ms: step.delayMs }, 'delivery failed, will retry');
        span.setStatus({ code: SpanStatusCode.ERROR, message: step.reason });
      } else {
        const connection = failures.find((f) => f.result.kind === 'connection')?.result as { message: string } | undefined;
        const detail = connection ? connection.message : `${step.why} after ${attempt} attempt(s) via ${failures.map((f) => f.transport).join(' and ')}`;
        outbox.deadLetter(row.id, attempt, failedStatus, `${step.why}:${step.reason}`, detail, at);
        if (mode === 'dual' && (doneAt.webhook !== null || doneAt.nats !== null)) compareDualPaths(row, doneAt.webhook, doneAt.nats);
        metrics.events.add(1, { event_type: row.type, outcome: 'dead_lettered', transport: mode });
        lastDelivery = { eventId: row.id, at: new Date(at).toISOString(), outcome: 'dead_lettered', status: failedStatus, reason: step.reason, transport: mode };
        logger.error({ ...log, status: failedStatus, reason: step.reason, why: step.why }, 'event dead-lettered');
        span.setStatus({ code: SpanStatusCode.ERROR, message: `dead-lettered: ${step.reason}` });
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
