// Following one event end to end: the publisher (its admin API, and its outbox file), each gateway's
// answer (admin API), and each consumer's inbox row. Gathering is the edge (HTTP, read-only SQLite);
// what the parts say together is decided by pure functions (render.ts). Used by `npm run trace` and
// the demo's control API (GET /trace/:id).
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import type { EventStatus } from '../../app/publisher/recent-outcomes.ts';

/** Where to look; a part with nothing to look at is reported as such, not guessed. */
export type TraceSources = {
  publisherUrl?: string;
  gatewayUrls: string[];
  /** The admin token of the publisher's and the gateways' /admin routes (the demo uses one for all). */
  adminToken?: string;
  /** The publisher's SQLite outbox, read-only: an event still waiting there, or a dead letter while the publisher is down. */
  outboxPath?: string;
  /** The consumers' inbox, read-only. */
  inboxPath?: string;
};

/** One source's answer: what it knows (null: it does not know the event), or why it could not be asked. */
export type Part<T> = { ok: true; value: T | null } | { ok: false; reason: string };

/** GET /admin/events/:id of a gateway (app/gateway/recent-outcomes.ts describeOutcome). */
export type GatewayRecord = {
  id: string;
  outcome: string;
  status: number;
  reason: string | null;
  at: string;
  eventType: string | null;
  published: boolean;
  publishedAt: string | null;
  sequence: number | null;
  subject: string | null;
  duplicate: boolean;
  requests: number;
};

export type OutboxFileRow = {
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  claimed_by: string | null;
};
export type DeadLetterFileRow = {
  attempts: number;
  last_status: number | null;
  reason: string;
  detail: string | null;
  dead_lettered_at: number;
};
export type InboxRow = { consumer: string; handled_at: number; delivery_count: number; stream_seq: number };
export type ConsumerDeadLetterRow = {
  consumer: string;
  stream_seq: number;
  subject: string;
  reason: string;
  detail: string | null;
  dead_lettered_at: number;
};

export type EventTrace = {
  id: string;
  publisher: Part<EventStatus>;
  outboxFile: Part<{ path: string; outbox: OutboxFileRow | null; deadLetter: DeadLetterFileRow | null }>;
  gateways: { url: string; record: Part<GatewayRecord> }[];
  inbox: Part<{ path: string; processed: InboxRow[]; deadLettered: ConsumerDeadLetterRow[] }>;
};

/** GET an admin route: the JSON, null on 404 (the service does not know the event), or why it failed. */
async function askAdmin<T>(url: string, adminToken: string | undefined): Promise<Part<T>> {
  if (!adminToken) return { ok: false, reason: 'no admin token' };
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(3000) });
    if (res.status === 404) {
      const body = (await res.json().catch(() => ({}))) as { reason?: string };
      // Any other 404 is a route that does not exist: a service without an admin token, or an older one.
      return body.reason === 'event_unknown' ? { ok: true, value: null } : { ok: false, reason: `${url} answered 404` };
    }
    if (!res.ok) return { ok: false, reason: `${url} answered ${res.status}` };
    return { ok: true, value: (await res.json()) as T };
  } catch (err) {
    return { ok: false, reason: `${new URL(url).origin} did not answer (${(err as Error).message})` };
  }
}

/** Reads from a SQLite file another process writes (WAL): read-only, and a missing file is a reason, not a new file. */
function readSqlite<T>(file: string | undefined, read: (db: DatabaseSync) => T): Part<T> {
  if (!file) return { ok: false, reason: 'not configured' };
  if (!existsSync(file)) return { ok: false, reason: `no file at ${file}` };
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, { readOnly: true });
    db.exec('PRAGMA busy_timeout = 2000');
    return { ok: true, value: read(db) };
  } catch (err) {
    return { ok: false, reason: `${file}: ${(err as Error).message}` };
  } finally {
    db?.close();
  }
}

export async function traceEvent(id: string, sources: TraceSources): Promise<EventTrace> {
  const path = encodeURIComponent(id);
  const [publisher, ...gatewayRecords] = await Promise.all([
    sources.publisherUrl
      ? askAdmin<EventStatus>(`${sources.publisherUrl}/admin/events/${path}`, sources.adminToken)
      : Promise.resolve<Part<EventStatus>>({ ok: false, reason: 'not configured' }),
    ...sources.gatewayUrls.map((url) => askAdmin<GatewayRecord>(`${url}/admin/events/${path}`, sources.adminToken)),
  ]);
  const outboxFile = readSqlite(sources.outboxPath, (db) => ({
    path: sources.outboxPath!,
    outbox:
      (db.prepare('SELECT attempts, next_attempt_at, last_status, last_error, created_at, claimed_by FROM outbox WHERE id = ?').get(id) as
        | OutboxFileRow
        | undefined) ?? null,
    deadLetter:
      (db.prepare('SELECT attempts, last_status, reason, detail, dead_lettered_at FROM dead_letter WHERE id = ?').get(id) as
        | DeadLetterFileRow
        | undefined) ?? null,
  }));
  const inbox = readSqlite(sources.inboxPath, (db) => ({
    path: sources.inboxPath!,
    processed: db
      .prepare('SELECT consumer, handled_at, delivery_count, stream_seq FROM processed WHERE event_id = ? ORDER BY consumer')
      .all(id) as InboxRow[],
    deadLettered: db
      .prepare(
        'SELECT consumer, stream_seq, subject, reason, detail, dead_lettered_at FROM consumer_dead_letter WHERE event_id = ? ORDER BY consumer',
      )
      .all(id) as ConsumerDeadLetterRow[],
  }));
  return {
    id,
    publisher,
    outboxFile,
    gateways: sources.gatewayUrls.map((url, i) => ({ url, record: gatewayRecords[i] as Part<GatewayRecord> })),
    inbox,
  };
}
