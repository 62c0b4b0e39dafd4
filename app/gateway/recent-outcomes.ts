// The gateway's answer to "what became of event X?" (GET /admin/events/:id, npm run trace): the last
// answers it gave, by event id, in memory and bounded. Logs say the same, but a log is not a lookup.
// The request path pays one Map insert of one small record, decided by a pure function (nextRecord).
import { recentMap } from '../storage/recent-map.ts';
import { subjectFor } from '../events/envelope.ts';
import type { Outcome, WebhookResult } from './webhook-result.ts';

/** Enough for the last few minutes of the demo's load (50 events/s), at roughly 200 bytes each. */
export const DEFAULT_RECENT_OUTCOMES = 10_000;

/** What respond() answered (its status, and the outcome and reason the metric and log line carry). */
export type Answer = { outcome: Outcome; status: number; reason?: string };

/** Per event id: the latest answer, and the first time JetStream took it (kept through later answers). */
export type RecentOutcome = {
  lastAt: number;
  lastOutcome: Outcome;
  lastStatus: number;
  lastReason: string | null;
  eventType: string | null;
  eventVersion: number | null;
  /** When the event was first published, with its sequence; null while it never was. */
  publishedAt: number | null;
  sequence: number | null;
  /** Whether any request for this id found it already in the stream (JetStream's duplicate window). */
  duplicate: boolean;
  requests: number;
};

/**
 * The record after one more answer. A retry that JetStream reports as a duplicate names the original's
 * sequence, and a later rejection (a retry over the rate limit, say) does not undo that the event is in
 * the stream: so the publication is kept and only the "last answer" fields move.
 */
export function nextRecord(previous: RecentOutcome | undefined, at: number, answer: Answer, result: WebhookResult): RecentOutcome {
  const published = result.kind === 'published';
  return {
    lastAt: at,
    lastOutcome: answer.outcome,
    lastStatus: answer.status,
    lastReason: answer.reason ?? null,
    eventType: result.event?.type ?? previous?.eventType ?? null,
    eventVersion: published ? result.event.version : (previous?.eventVersion ?? null),
    publishedAt: previous?.publishedAt ?? (published ? at : null),
    // A duplicate's PubAck names the original's sequence; the Phase 1 ack mode has none (null).
    sequence: previous?.sequence ?? (published ? result.sequence : null),
    duplicate: (previous?.duplicate ?? false) || (published && result.duplicate),
    requests: (previous?.requests ?? 0) + 1,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The id an answer is filed under: the event's, once the body was read; else the webhook-id header
 * (the event id by contract), so a signature or rate-limit refusal can be found too. Only ids shaped
 * like event ids: a junk header costs no record.
 */
export function recordKey(eventId: string | undefined, webhookId: string | undefined): string | undefined {
  if (eventId !== undefined) return eventId;
  return webhookId !== undefined && UUID.test(webhookId) ? webhookId : undefined;
}

/** The lookup's JSON: the record with times as ISO strings and the subject the event was written to. */
export function describeOutcome(id: string, record: RecentOutcome, subjectPrefix: string) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id,
    outcome: record.lastOutcome,
    status: record.lastStatus,
    reason: record.lastReason,
    at: iso(record.lastAt),
    eventType: record.eventType,
    published: record.publishedAt !== null,
    publishedAt: iso(record.publishedAt),
    sequence: record.sequence,
    subject:
      record.publishedAt !== null && record.eventType !== null && record.eventVersion !== null
        ? subjectFor(subjectPrefix, { type: record.eventType, version: record.eventVersion })
        : null,
    duplicate: record.duplicate,
    requests: record.requests,
  };
}

export type RecentOutcomes = {
  record(key: string, at: number, answer: Answer, result: WebhookResult): void;
  get(key: string): RecentOutcome | undefined;
  readonly size: number;
  readonly capacity: number;
};

export function createRecentOutcomes(capacity = DEFAULT_RECENT_OUTCOMES): RecentOutcomes {
  const records = recentMap<RecentOutcome>(capacity);
  return {
    record: (key, at, answer, result) => records.set(key, nextRecord(records.get(key), at, answer, result)),
    get: (key) => records.get(key),
    get size() {
      return records.size;
    },
    capacity,
  };
}
