// Carries out delivery: claims due rows from the outbox, sends each through the paths the current
// transport mode names (asking each path's circuit breaker first), lets settle() decide what
// follows, and commits the settlements that finish together in one transaction. A row stays
// claimed until its settlement is committed, so a crash at any point leaves it due again:
// delivery is at least once, deduplicated downstream by the event id.
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from '../telemetry/logger.ts';
import { contextFromHeaders } from '../telemetry/trace-context.ts';
import { afterAttempt, type BreakerPolicy, type BreakerState, CLOSED, isPaused, permission, startProbe } from './circuit-breaker.ts';
import { groupCommit } from './group-commit.ts';
import type { PublisherMetrics } from './metrics.ts';
import { retryLogLevel } from './retry-log.ts';
import type { OutboxRow } from './outbox-row.ts';
import { type AttemptResult, type RetryPolicy, statusClass } from './retry-policy.ts';
import { type RoundOutcome, type Settlement, settle } from './settle.ts';
import type { OutboxStore } from './store/outbox-store.ts';
import { PATHS_OF_MODE, type Transport, type TransportMode, type TransportPath } from './transport.ts';

export type LastDelivery = { eventId: string; at: string; outcome: string; status: number | null; reason?: string; mode: TransportMode };

export type DeliveryLoopOptions = {
  store: OutboxStore<unknown>;
  transports: Partial<Record<TransportPath, Transport>>;
  /** Read at every round, so a switch applies to events already queued. */
  transportMode: () => TransportMode;
  retry: RetryPolicy;
  breaker: BreakerPolicy;
  maxInFlight: number;
  pollIntervalMs: number;
  /** How long a claim holds: longer than an attempt's timeout plus the commit that follows it. */
  leaseMs: number;
  owner: string;
  metrics: PublisherMetrics;
  logger: Logger;
  now?: () => number;
  random?: () => number;
  /** Told each settlement once it is committed (the publisher's record of recent outcomes). */
  onSettled?: (row: OutboxRow, settlement: Settlement, mode: TransportMode) => void;
};

export type DeliveryLoop = ReturnType<typeof startDeliveryLoop>;

const tracer = trace.getTracer('webhook-publisher');

export function startDeliveryLoop(options: DeliveryLoopOptions) {
  const { store, transports, metrics, logger, owner } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const inFlight = new Map<string, Promise<void>>();
  const breakers: Record<TransportPath, BreakerState> = { webhook: CLOSED, nats: CLOSED };
  let lastDelivery: LastDelivery | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wakeScheduled = false;
  let claiming = false;
  let claimAgain = false;
  const commit = groupCommit(async (settlements: Settlement[]) => {
    // A busy or briefly unreachable database gets a few tries: the rows stay claimed meanwhile.
    for (let attempt = 1; ; attempt++) {
      try {
        await store.apply(settlements, owner, now());
        return settlements.map(() => undefined);
      } catch (err) {
        if (attempt >= 4 || stopped) throw err;
        logger.warn({ err, attempt }, 'recording delivery results failed, trying again');
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  });

  async function attempt(row: OutboxRow, path: TransportPath, attemptNo: number): Promise<RoundOutcome> {
    const gate = permission(breakers[path], now());
    if (gate.kind === 'wait') return { path, sent: false, circuitOpenUntil: gate.until };
    if (gate.kind === 'probe') {
      breakers[path] = startProbe(breakers[path], row.id);
      logger.info({ path, event_id: row.id }, 'circuit half-open: probing with one event');
    }
    const transport = transports[path];
    const startedAt = performance.now();
    let result: AttemptResult;
    try {
      result = transport ? await transport.send(row, attemptNo) : { kind: 'connection', message: `no ${path} transport configured` };
    } catch (err) {
      result = { kind: 'connection', message: (err as Error).message };
    }
    metrics.attemptDuration.record((performance.now() - startedAt) / 1000, {
      event_type: row.type,
      status_class: statusClass(result),
      path,
    });
    const before = breakers[path];
    const after = afterAttempt(before, row.id, result, now(), options.breaker);
    breakers[path] = after;
    if (before.status === 'closed' && after.status === 'open')
      logger.error(
        { path, probe_at: new Date(after.probeAt).toISOString() },
        'circuit opened: delivery paused, events keep their attempts',
      );
    else if (before.status !== 'closed' && after.status === 'closed')
      logger.warn({ path, open_ms: now() - before.openedAt }, 'circuit closed: delivery resumes');
    if (!isPaused(before, now()) && isPaused(after, now()) && after.status === 'closed') {
      logger.warn(
        { path, status: result.kind === 'response' ? result.status : null, paused_until: new Date(after.pausedUntil!).toISOString() },
        'endpoint said not now: delivery paused, events keep their attempts',
      );
    }
    const until = after.status === 'closed' ? null : permission(after, now());
    return { path, sent: true, result, circuitOpenUntil: until === null ? null : until.kind === 'wait' ? until.until : now() };
  }

  function report(row: OutboxRow, s: Settlement, mode: TransportMode) {
    const log = { event_id: row.id, event_type: row.type, attempt: row.attempts + 1, status: s.status, mode };
    const at = new Date(now()).toISOString();
    for (const e of s.errors) metrics.deliveryErrors.add(1, { event_type: row.type, reason: e.reason, path: e.path });
    if (s.action !== 'retry' && s.dualPath) {
      const { webhook_at, nats_at } = s.dualPath;
      metrics.dualPathEvents.add(1, {
        paths: webhook_at !== null && nats_at !== null ? 'both' : webhook_at !== null ? 'webhook_only' : 'nats_only',
      });
      if (webhook_at !== null && nats_at !== null)
        metrics.dualPathDifference.record(Math.abs(nats_at - webhook_at) / 1000, { faster: webhook_at <= nats_at ? 'webhook' : 'nats' });
    }
    if (s.action === 'delivered') {
      metrics.events.add(1, { event_type: row.type, outcome: 'delivered', mode });
      lastDelivery = { eventId: row.id, at, outcome: 'delivered', status: s.status, mode };
      logger.debug(log, 'event delivered');
    } else if (s.action === 'retry') {
      for (const path of s.retried) metrics.retries.add(1, { event_type: row.type, path });
      lastDelivery = { eventId: row.id, at, outcome: 'retry_scheduled', status: s.status, reason: s.reason, mode };
      const line = { ...log, reason: s.reason, charged: s.charged, retry_in_ms: s.nextAttemptAt - now() };
      if (!s.charged) logger.debug(line, 'endpoint down, event waits for the circuit to close');
      else if (retryLogLevel(row, s) === 'warn') logger.warn(line, 'delivery failed, will retry');
      else logger.debug(line, 'delivery failed again, will retry');
    } else {
      metrics.events.add(1, { event_type: row.type, outcome: 'dead_lettered', mode });
      lastDelivery = { eventId: row.id, at, outcome: 'dead_lettered', status: s.status, reason: s.reason, mode };
      logger.error({ ...log, reason: s.reason, detail: s.detail }, 'event dead-lettered');
    }
  }

  async function deliver(row: OutboxRow): Promise<void> {
    const mode = options.transportMode();
    const required = PATHS_OF_MODE[mode];
    const doneAt: Record<TransportPath, number | null> = { webhook: row.webhook_done_at, nats: row.nats_done_at };
    const todo = required.filter((path) => doneAt[path] === null);
    const parent = row.trace_headers ? contextFromHeaders(JSON.parse(row.trace_headers)) : context.active();
    const span = tracer.startSpan(
      'event deliver',
      { attributes: { 'event.id': row.id, 'event.type': row.type, 'delivery.attempt': row.attempts + 1, 'delivery.mode': mode } },
      parent,
    );
    // The transports send the trace context that is active here: the event's own trace.
    const outcomes = await context.with(trace.setSpan(parent, span), () =>
      Promise.all(todo.map((path) => attempt(row, path, row.attempts + 1))),
    );
    const s = settle(row, outcomes, { ...options.retry, required, maxPauseMs: options.breaker.maxPauseMs }, now(), random);
    if (s.action !== 'delivered') span.setStatus({ code: SpanStatusCode.ERROR, message: `${s.action}: ${s.reason}` });
    span.end();
    await commit(s);
    report(row, s, mode);
    options.onSettled?.(row, s, mode);
  }

  /** How many rows to claim now: none while the circuit of every path needed is open, one to probe. */
  function claimLimit(t: number): { limit: number; wakeAt?: number } {
    const capacity = options.maxInFlight - inFlight.size;
    if (capacity <= 0) return { limit: 0 };
    const gates = PATHS_OF_MODE[options.transportMode()].map((path) => permission(breakers[path], t));
    if (gates.some((g) => g.kind === 'send')) return { limit: capacity };
    if (gates.some((g) => g.kind === 'probe')) return { limit: 1 };
    return { limit: 0, wakeAt: Math.min(...gates.map((g) => (g.kind === 'wait' ? g.until : t))) };
  }

  async function fill(): Promise<void> {
    wakeScheduled = false;
    if (stopped) return;
    if (claiming) {
      claimAgain = true;
      return;
    }
    claiming = true;
    clearTimeout(timer);
    let nextPoll = options.pollIntervalMs;
    try {
      do {
        claimAgain = false;
        const t = now();
        const { limit, wakeAt } = claimLimit(t);
        if (wakeAt !== undefined) nextPoll = Math.min(nextPoll, Math.max(10, wakeAt - t));
        if (limit === 0) break;
        const rows = await store.claimDue({ now: t, limit, leaseUntil: t + options.leaseMs, owner });
        for (const row of rows) {
          const work = deliver(row)
            .catch((err: unknown) =>
              logger.error({ err, event_id: row.id }, 'delivery bookkeeping failed; the row is due again when its claim ends'),
            )
            .finally(() => {
              inFlight.delete(row.id);
              wake();
            });
          inFlight.set(row.id, work);
        }
        // A full claim means more may be due: take it as soon as capacity frees up.
        if (rows.length < limit) break;
      } while (claimAgain && !stopped);
    } catch (err) {
      logger.error({ err }, 'reading the outbox failed');
    } finally {
      claiming = false;
    }
    if (!stopped) timer = setTimeout(fill, nextPoll);
  }

  /** Run a claim soon (coalesced): after a publish, a commit by another process, or a freed slot. */
  function wake(): void {
    if (stopped || wakeScheduled) return;
    wakeScheduled = true;
    setImmediate(fill);
  }

  void fill();

  return {
    wake,
    lastDelivery: () => lastDelivery,
    inFlightCount: () => inFlight.size,
    circuit: (path: TransportPath) => breakers[path].status,
    /** Stops taking new work and waits for the attempts in flight to be recorded. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      while (claiming) await new Promise((r) => setImmediate(r));
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
