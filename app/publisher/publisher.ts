// The publisher an application embeds: publish() writes the event into the application's own
// database, inside the application's transaction when it passes one, and a background delivery
// loop sends it on. The event commits or rolls back with the business change it describes.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { watchFile } from '../storage/file-guard.ts';
import { DEFAULT_RETENTION_MS, sweepIntervalMs } from '../storage/retention.ts';
import { type RetentionSweeper, retentionSweeper } from '../storage/retention-sweep.ts';
import { EVENT_SOURCE, type EventEnvelope, validateEvent, type ValidationFailure } from '../events/envelope.ts';
import { createLogger, type Logger } from '../telemetry/logger.ts';
import { currentTraceHeaders } from '../telemetry/trace-context.ts';
import { type BreakerPolicy, DEFAULT_BREAKER_POLICY } from './circuit-breaker.ts';
import { type DeliveryLoop, startDeliveryLoop } from './delivery-loop.ts';
import { groupCommit } from './group-commit.ts';
import { createPublisherMetrics } from './metrics.ts';
import type { DeadLetterRow, NewOutboxRow } from './outbox-row.ts';
import { createRecentOutcomes, type EventStatus, eventStatus, outcomeOfSettlement } from './recent-outcomes.ts';
import { DEFAULT_JITTER, DEFAULT_MAX_RETRY_AFTER_MS, type RetryPolicy } from './retry-policy.ts';
import type { OutboxCounts, OutboxStore } from './store/outbox-store.ts';
import type { Transport, TransportMode, TransportPath } from './transport.ts';
import { newEventId } from '../events/event-id.ts';

/** What an application publishes; the publisher fills in id, occurredAt, source and correlationId when absent. */
export type EventInput = {
  id?: string;
  type: string;
  version?: number;
  occurredAt?: string;
  data: unknown;
  metadata?: Record<string, unknown>;
};

/** Thrown by publish() before anything is written: the event is not valid, so it is not queued. */
export class EventValidationError extends Error {
  override name = 'EventValidationError';
  readonly reason: ValidationFailure['reason'];
  readonly errors: ValidationFailure['errors'];
  constructor(failure: ValidationFailure) {
    super(failure.detail);
    this.reason = failure.reason;
    this.errors = failure.errors;
  }
}

export type WebhookPublisherOptions<Tx> = {
  store: OutboxStore<Tx>;
  /** The ways out, one per path: usually the webhook transport; the NATS transport too while migrating. */
  transports: readonly Transport[];
  /** The transport mode, read at every round; by default the paths of every transport given (both: dual). */
  transportMode?: () => TransportMode;
  retry?: Partial<RetryPolicy>;
  breaker?: Partial<BreakerPolicy>;
  delivery?: { enabled?: boolean; maxInFlight?: number; pollIntervalMs?: number; leaseMs?: number };
  /** How long dual-path comparison rows are kept (default 14 days, app/storage/retention.ts). */
  dualPathRetentionMs?: number;
  /** Names this instance's claims; an instance restarted under the same id takes its claims back at once. */
  instanceId?: string;
  logger?: Logger;
  now?: () => number;
  random?: () => number;
};

export type PublishResult = { id: string; duplicate: boolean; event: EventEnvelope };

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 5,
  baseDelayMs: 1000,
  jitter: DEFAULT_JITTER,
  maxRetryAfterMs: DEFAULT_MAX_RETRY_AFTER_MS,
};

export type WebhookPublisher<Tx> = ReturnType<typeof createWebhookPublisher<Tx>>;

export function createWebhookPublisher<Tx>(options: WebhookPublisherOptions<Tx>) {
  const { store } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createLogger('publisher');
  const byPath: Partial<Record<TransportPath, Transport>> = Object.fromEntries(options.transports.map((t) => [t.path, t]));
  const defaultMode: TransportMode = byPath.webhook && byPath.nats ? 'dual' : byPath.nats ? 'nats' : 'webhook';
  const transportMode = options.transportMode ?? (() => defaultMode);
  const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const breaker = { ...DEFAULT_BREAKER_POLICY, ...options.breaker };
  const delivery = { enabled: true, maxInFlight: 256, pollIntervalMs: 200, leaseMs: 30_000, ...options.delivery };
  const owner = options.instanceId ?? os.hostname();
  // A delivered event leaves the outbox: its fate is kept here for GET /admin/events/:id.
  const recent = createRecentOutcomes();
  let counts: OutboxCounts = { outbox: 0, deadLetter: 0 };
  let loop: DeliveryLoop | undefined;
  let stopWatching: (() => Promise<void>) | undefined;
  let countTimer: NodeJS.Timeout | undefined;
  let dualPathSweeper: RetentionSweeper | undefined;
  const dualPathRetentionMs = options.dualPathRetentionMs ?? DEFAULT_RETENTION_MS;
  // Bounded batches, so a long-neglected table never holds the store in one huge delete.
  const pruneDualPath = async () => (await store.pruneDualPath(now() - dualPathRetentionMs, 2000)) === 2000;
  let stopFileWatch: (() => void) | undefined;
  const fileGuard = store.fileGuard;
  const metrics = createPublisherMetrics({
    counts: () => counts,
    transportMode,
    circuitOpen: (path) => (loop ? loop.circuit(path) !== 'closed' : false),
    storeFileOk: () => fileGuard?.last().ok,
  });

  const refreshCounts = async () => {
    counts = await store.counts().catch(() => counts);
  };
  // Concurrent publishes without a transaction of the caller's share one commit; under load they
  // gather for up to 2 ms, so a burst costs a few hundred fsyncs a second, not one per event.
  const insertOwn = groupCommit((rows: NewOutboxRow[]) => store.insert(rows, now()), { windowMs: 2 });

  function toRow(input: EventInput): { row: NewOutboxRow; event: EventEnvelope } {
    const validation = validateEvent({
      id: input.id ?? newEventId(),
      type: input.type,
      version: input.version ?? 1,
      occurredAt: input.occurredAt ?? new Date(now()).toISOString(),
      source: EVENT_SOURCE,
      data: input.data,
      metadata: { correlationId: randomUUID(), ...input.metadata },
    });
    if (!validation.ok) throw new EventValidationError(validation.failure);
    const event = validation.event;
    const trace = currentTraceHeaders();
    return {
      event,
      row: {
        id: event.id,
        type: event.type,
        body: JSON.stringify(event),
        traceHeaders: Object.keys(trace).length ? JSON.stringify(trace) : null,
      },
    };
  }

  return {
    /**
     * Queues one event. With `tx` (the application's open transaction: its DatabaseSync for
     * SQLite, its pg client for PostgreSQL) the event commits or rolls back with it; without,
     * it is durable when the promise resolves. Throws EventValidationError for an invalid event.
     */
    async publish(input: EventInput, at: { tx?: Tx } = {}): Promise<PublishResult> {
      const { row, event } = toRow(input);
      const [queued] = at.tx === undefined ? [await insertOwn(row)] : await store.insertIn(at.tx, [row], now());
      // Not inside the caller's transaction: it may still roll back.
      if (queued && at.tx === undefined) recent.record(event.id, { state: 'queued', at: now(), replayed: false });
      // Committed (or about to be, by the caller): the loop looks at once, and polls in case.
      loop?.wake();
      return { id: event.id, duplicate: !queued, event };
    },
    /** Starts delivering (releases the claims a previous run of this instance left behind). */
    async start(): Promise<void> {
      if (fileGuard && !stopFileWatch)
        stopFileWatch = watchFile(fileGuard, { logger, what: 'outbox', consequence: 'new events are refused until a restart' });
      if (loop || !delivery.enabled) return;
      const released = await store.releaseClaims(owner, now());
      if (released) logger.info({ released, instance: owner }, 'claims of the previous run released');
      loop = startDeliveryLoop({
        store,
        transports: byPath,
        transportMode,
        retry,
        breaker,
        ...delivery,
        owner,
        metrics,
        logger,
        now,
        random: options.random,
        onSettled: (row, settlement, mode) => recent.record(row.id, outcomeOfSettlement(row, settlement, mode, now())),
      });
      stopWatching = await store.watchCommits?.(() => loop?.wake());
      await refreshCounts();
      countTimer = setInterval(refreshCounts, 1000);
      countTimer.unref();
      dualPathSweeper = retentionSweeper(pruneDualPath, {
        everyMs: sweepIntervalMs(dualPathRetentionMs),
        onError: (err) => logger.warn({ err: err.message }, 'dual-path retention sweep failed; next sweep retries'),
      });
    },
    /** Stops taking new work, waits for attempts in flight to be recorded, closes the transports. */
    async stop(): Promise<void> {
      clearInterval(countTimer);
      await dualPathSweeper?.stop();
      stopFileWatch?.();
      stopFileWatch = undefined;
      await stopWatching?.();
      await loop?.stop();
      loop = undefined;
      await Promise.all(options.transports.map((t) => t.close?.()));
    },
    deadLetters: {
      list: (limit = 100, offset = 0): Promise<DeadLetterRow[]> => store.listDeadLetters(limit, offset),
      inspect: (id: string): Promise<DeadLetterRow | undefined> => store.getDeadLetter(id),
      async replay(ids: readonly string[] | 'all'): Promise<string[]> {
        const replayed = await store.replay(ids, now());
        for (const id of replayed) recent.record(id, { state: 'queued', at: now(), replayed: true });
        loop?.wake();
        await refreshCounts();
        return replayed;
      },
    },
    /** ok is false when the outbox file is no longer the one at its path: publish() refuses events then. */
    async health() {
      await refreshCounts();
      const storeFile = fileGuard ? { path: fileGuard.file, ...fileGuard.check() } : null;
      return {
        ok: storeFile?.ok ?? true,
        storeFile,
        delivery: loop ? 'enabled' : 'disabled',
        mode: transportMode(),
        /** By path. */
        circuits: { webhook: loop?.circuit('webhook') ?? 'closed', nats: loop?.circuit('nats') ?? 'closed' },
        outbox: { depth: counts.outbox },
        deadLetter: { depth: counts.deadLetter },
        lastDelivery: loop?.lastDelivery() ?? null,
      };
    },
    dualPathsSince: (since: number) => store.dualPathsSince(since),
    /** Where an event stands: its last outcome in this process (bounded), or its dead letter; undefined when neither knows it. */
    async eventStatus(id: string): Promise<EventStatus | undefined> {
      return eventStatus(id, recent.get(id), await store.getDeadLetter(id));
    },
  };
}
