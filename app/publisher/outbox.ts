// The durable outbox (node:sqlite, WAL): an event is on disk before the publisher acknowledges it,
// and leaves only when delivered or moved to the dead-letter table.
import type { EventEnvelope } from '../events/envelope.ts';
import { inTransaction, openDurableDatabase } from '../storage/sqlite.ts';

export type OutboxRow = {
  id: string;
  type: string;
  body: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  trace_headers: string | null;
  /** When each transport acknowledged the event (dual mode delivers both ways). */
  webhook_done_at: number | null;
  nats_done_at: number | null;
};

export type DualPathRow = { id: string; webhook_at: number | null; nats_at: number | null; paths: 'both' | 'webhook_only' | 'nats_only'; completed_at: number };

export type DeadLetterRow = {
  id: string;
  type: string;
  body: string;
  created_at: number;
  attempts: number;
  last_status: number | null;
  reason: string;
  detail: string | null;
  dead_lettered_at: number;
  trace_headers: string | null;
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  trace_headers TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at);
-- The dual-publish comparison: per event, when each path acknowledged it.
CREATE TABLE IF NOT EXISTS dual_path (
  id TEXT PRIMARY KEY,
  webhook_at INTEGER,
  nats_at INTEGER,
  paths TEXT NOT NULL,
  completed_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dual_path_completed ON dual_path (completed_at);
CREATE TABLE IF NOT EXISTS dead_letter (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  last_status INTEGER,
  reason TEXT NOT NULL,
  detail TEXT,
  dead_lettered_at INTEGER NOT NULL,
  trace_headers TEXT
);
`;

export type Outbox = ReturnType<typeof openOutbox>;

export function openOutbox(file: string) {
  const db = openDurableDatabase(file);
  db.exec(SCHEMA);
  // Outboxes written before the NATS transport existed lack these columns.
  const columns = new Set((db.prepare('PRAGMA table_info(outbox)').all() as { name: string }[]).map((c) => c.name));
  for (const column of ['webhook_done_at', 'nats_done_at']) if (!columns.has(column)) db.exec(`ALTER TABLE outbox ADD COLUMN ${column} INTEGER`);

  const insert = db.prepare(
    `INSERT INTO outbox (id, type, body, created_at, attempts, next_attempt_at, trace_headers)
     SELECT $id, $type, $body, $now, 0, $now, $trace
     WHERE NOT EXISTS (SELECT 1 FROM dead_letter WHERE id = $id)
     ON CONFLICT (id) DO NOTHING`,
  );
  const due = db.prepare(
    `SELECT * FROM outbox
     WHERE next_attempt_at <= ? AND id NOT IN (SELECT value FROM json_each(?))
     ORDER BY next_attempt_at LIMIT ?`,
  );
  const remove = db.prepare('DELETE FROM outbox WHERE id = ?');
  const reschedule = db.prepare(
    'UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?',
  );
  const toDeadLetter = db.prepare(
    `INSERT OR REPLACE INTO dead_letter (id, type, body, created_at, attempts, last_status, reason, detail, dead_lettered_at, trace_headers)
     SELECT id, type, body, created_at, ?, ?, ?, ?, ?, trace_headers FROM outbox WHERE id = ?`,
  );
  const fromDeadLetter = db.prepare(
    `INSERT INTO outbox (id, type, body, created_at, attempts, next_attempt_at, trace_headers)
     SELECT id, type, body, created_at, 0, ?, trace_headers FROM dead_letter WHERE id = ?
     ON CONFLICT (id) DO NOTHING`,
  );
  const removeDeadLetter = db.prepare('DELETE FROM dead_letter WHERE id = ?');
  const transportDone = { webhook: db.prepare('UPDATE outbox SET webhook_done_at = ? WHERE id = ?'), nats: db.prepare('UPDATE outbox SET nats_done_at = ? WHERE id = ?') };
  const insertDualPath = db.prepare('INSERT OR REPLACE INTO dual_path (id, webhook_at, nats_at, paths, completed_at) VALUES (?, ?, ?, ?, ?)');
  const dualPathsSince = db.prepare('SELECT * FROM dual_path WHERE completed_at >= ? ORDER BY completed_at');
  const outboxDepth = db.prepare('SELECT count(*) AS n FROM outbox');
  const deadLetterDepth = db.prepare('SELECT count(*) AS n FROM dead_letter');
  const listDead = db.prepare('SELECT * FROM dead_letter ORDER BY dead_lettered_at LIMIT ? OFFSET ?');
  const getDead = db.prepare('SELECT * FROM dead_letter WHERE id = ?');
  const allDeadIds = db.prepare('SELECT id FROM dead_letter ORDER BY dead_lettered_at');

  const transaction = <T,>(work: () => T): T => inTransaction(db, work);

  return {
    /** Returns false when the id is already queued or dead-lettered (a client retry). */
    enqueue(event: EventEnvelope, traceHeaders: Record<string, string>, now: number): boolean {
      const trace = Object.keys(traceHeaders).length ? JSON.stringify(traceHeaders) : null;
      return insert.run({ id: event.id, type: event.type, body: JSON.stringify(event), now, trace }).changes === 1;
    },
    /** Several events in one transaction: one fsync for all (see group-commit.ts). */
    enqueueMany(items: readonly { event: EventEnvelope; traceHeaders: Record<string, string> }[], now: number): boolean[] {
      return transaction(() => items.map(({ event, traceHeaders }) => this.enqueue(event, traceHeaders, now)));
    },
    /** Rows whose next attempt is due, skipping those already in flight. */
    due(now: number, limit: number, inFlight: Iterable<string>): OutboxRow[] {
      return due.all(now, JSON.stringify([...inFlight]), limit) as OutboxRow[];
    },
    markDeliveredMany(ids: readonly string[]): void {
      transaction(() => ids.forEach((id) => remove.run(id)));
    },
    markTransportsDone(id: string, transports: readonly ('webhook' | 'nats')[], at: number): void {
      transaction(() => transports.forEach((t) => transportDone[t].run(at, id)));
    },
    recordDualPath(row: Omit<DualPathRow, 'paths'>): DualPathRow['paths'] {
      const paths = row.webhook_at !== null && row.nats_at !== null ? 'both' : row.webhook_at !== null ? 'webhook_only' : 'nats_only';
      insertDualPath.run(row.id, row.webhook_at, row.nats_at, paths, row.completed_at);
      return paths;
    },
    dualPathsSince(since: number): DualPathRow[] {
      return dualPathsSince.all(since) as DualPathRow[];
    },
    scheduleRetry(id: string, attempts: number, nextAttemptAt: number, lastStatus: number | null, lastError: string): void {
      reschedule.run(attempts, nextAttemptAt, lastStatus, lastError, id);
    },
    deadLetter(id: string, attempts: number, lastStatus: number | null, reason: string, detail: string, now: number): void {
      transaction(() => {
        toDeadLetter.run(attempts, lastStatus, reason, detail, now, id);
        remove.run(id);
      });
    },
    /** Moves dead letters back into the outbox with a fresh retry budget; the id (webhook-id) is kept. */
    replay(ids: readonly string[], now: number): string[] {
      return transaction(() => {
        const replayed: string[] = [];
        for (const id of ids) {
          if (!getDead.get(id)) continue;
          fromDeadLetter.run(now, id);
          removeDeadLetter.run(id);
          replayed.push(id);
        }
        return replayed;
      });
    },
    replayAll(now: number): string[] {
      const ids = (allDeadIds.all() as { id: string }[]).map((row) => row.id);
      return this.replay(ids, now);
    },
    depth(): number {
      return (outboxDepth.get() as { n: number }).n;
    },
    deadLetterDepth(): number {
      return (deadLetterDepth.get() as { n: number }).n;
    },
    listDeadLetters(limit = 100, offset = 0): DeadLetterRow[] {
      return listDead.all(limit, offset) as DeadLetterRow[];
    },
    getDeadLetter(id: string): DeadLetterRow | undefined {
      return getDead.get(id) as DeadLetterRow | undefined;
    },
    close(): void {
      if (db.isOpen) db.close();
    },
  };
}
