// The publisher's answer to "what became of event X?" (GET /admin/events/:id, npm run trace). A
// delivered event leaves the outbox, so its fate would otherwise be only a log line: the last
// outcomes are kept here, by event id, in memory and bounded, and combined with the dead-letter table.
import { recentMap } from '../storage/recent-map.ts';
import type { DeadLetterRow, OutboxRow } from './outbox-row.ts';
import type { Settlement } from './settle.ts';
import { TRANSPORT_PATHS, type TransportMode, type TransportPath } from './transport.ts';

/** A few minutes of the demo's load (50 events/s, two records each), at roughly 200 bytes a record. */
export const DEFAULT_RECENT_OUTCOMES = 10_000;

/** Where an event stood after the last thing this publisher did with it. `at`: epoch ms. */
export type PublisherOutcome =
  | { state: 'queued'; at: number; replayed: boolean }
  | {
      state: 'retrying';
      at: number;
      /** Attempts charged so far (failures while the endpoint's circuit was open are not). */
      attempts: number;
      nextAttemptAt: number;
      reason: string;
      status: number | null;
      mode: TransportMode;
    }
  | { state: 'delivered'; at: number; attempts: number; status: number | null; mode: TransportMode; paths: TransportPath[] }
  | { state: 'dead_lettered'; at: number; attempts: number; status: number | null; reason: string; detail: string; mode: TransportMode };

/**
 * What a committed settlement says about its event. A delivered event's attempts are its rounds
 * (this one included); its paths, every path that has it, in this round or an earlier one.
 */
export function outcomeOfSettlement(row: OutboxRow, s: Settlement, mode: TransportMode, at: number): PublisherOutcome {
  if (s.action === 'retry')
    return { state: 'retrying', at, attempts: s.attempts, nextAttemptAt: s.nextAttemptAt, reason: s.reason, status: s.status, mode };
  if (s.action === 'dead_letter')
    return { state: 'dead_lettered', at, attempts: s.attempts, status: s.status, reason: s.reason, detail: s.detail, mode };
  const before: Record<TransportPath, number | null> = { webhook: row.webhook_done_at, nats: row.nats_done_at };
  const paths = TRANSPORT_PATHS.filter((path) => s.done[path] !== undefined || before[path] !== null);
  return { state: 'delivered', at, attempts: row.attempts + 1, status: s.status, mode, paths };
}

/** An outcome as JSON shows it: times as ISO strings. */
export type ShownOutcome = PublisherOutcome extends infer O
  ? O extends { at: number }
    ? Omit<O, 'at' | 'nextAttemptAt'> & { at: string; nextAttemptAt?: string }
    : never
  : never;

const iso = (ms: number) => new Date(ms).toISOString();

function showOutcome(o: PublisherOutcome): ShownOutcome {
  return o.state === 'retrying' ? { ...o, at: iso(o.at), nextAttemptAt: iso(o.nextAttemptAt) } : { ...o, at: iso(o.at) };
}

/** GET /admin/events/:id: the recent outcome, checked against the dead-letter table (the truth for dead letters). */
export type EventStatus = {
  id: string;
  state: PublisherOutcome['state'];
  /** From this process's memory; null after a restart or once evicted. */
  recent: ShownOutcome | null;
  deadLetter: {
    attempts: number;
    lastStatus: number | null;
    reason: string;
    detail: string | null;
    deadLetteredAt: string;
  } | null;
};

/**
 * The dead-letter row wins: it outlives restarts and the memory's bound. A recent "dead-lettered"
 * with no row left means the event was replayed since (its next outcome will replace this one).
 */
export function eventStatus(
  id: string,
  recent: PublisherOutcome | undefined,
  deadLetter: DeadLetterRow | undefined,
): EventStatus | undefined {
  if (!recent && !deadLetter) return undefined;
  return {
    id,
    state: deadLetter ? 'dead_lettered' : recent!.state === 'dead_lettered' ? 'queued' : recent!.state,
    recent: recent ? showOutcome(recent) : null,
    deadLetter: deadLetter
      ? {
          attempts: deadLetter.attempts,
          lastStatus: deadLetter.last_status,
          reason: deadLetter.reason,
          detail: deadLetter.detail,
          deadLetteredAt: iso(deadLetter.dead_lettered_at),
        }
      : null,
  };
}

export type RecentOutcomes = {
  record(id: string, outcome: PublisherOutcome): void;
  get(id: string): PublisherOutcome | undefined;
  readonly size: number;
};

export function createRecentOutcomes(capacity = DEFAULT_RECENT_OUTCOMES): RecentOutcomes {
  const outcomes = recentMap<PublisherOutcome>(capacity);
  return {
    record: (id, outcome) => outcomes.set(id, outcome),
    get: (id) => outcomes.get(id),
    get size() {
      return outcomes.size;
    },
  };
}
