// The transactional inbox: a handler's effects and the "seen this event" mark commit together,
// so a redelivery (lost ack, restart, replay after the JetStream duplicate window) is a no-op.
import type { DatabaseSync } from 'node:sqlite';
import type { EventEnvelope } from '../events/envelope.ts';
import { guardFile } from '../storage/file-guard.ts';
import { assertDatabaseIntact, inTransaction, openDurableDatabase } from '../storage/sqlite.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS processed (
  consumer TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  handled_at INTEGER NOT NULL,
  delivery_count INTEGER NOT NULL,
  stream_seq INTEGER NOT NULL,
  trace_id TEXT,
  PRIMARY KEY (consumer, event_id)
);
-- Append-only: every message each consumer took, handled or skipped. The chaos checker reads
-- this, so a broken dedup shows up as two 'handled' rows rather than hiding behind the key above.
CREATE TABLE IF NOT EXISTS delivery_log (
  consumer TEXT NOT NULL,
  event_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  delivery_count INTEGER NOT NULL,
  stream_seq INTEGER NOT NULL,
  at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS consumer_dead_letter (
  consumer TEXT NOT NULL,
  event_id TEXT,
  stream_seq INTEGER NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT,
  dead_lettered_at INTEGER NOT NULL,
  PRIMARY KEY (consumer, stream_seq)
);
-- For the retention sweep (pruneBatch), which would otherwise scan both tables.
CREATE INDEX IF NOT EXISTS processed_handled_at ON processed (handled_at);
CREATE INDEX IF NOT EXISTS delivery_log_at ON delivery_log (at);
`;

/** How many rows one sweep transaction deletes: short enough not to stall a batch commit. */
export const RETENTION_BATCH_ROWS = 2000;

export type Delivery = { deliveryCount: number; streamSeq: number; traceId?: string };

export type Inbox = ReturnType<typeof openInbox>;

export function openInbox(file: string, handlerSchemas: readonly string[], options: { dedup?: boolean } = {}) {
  const dedup = options.dedup ?? true;
  // The ack to JetStream follows the commit, so the commit must survive a power cut.
  const db = openDurableDatabase(file);
  try {
    assertDatabaseIntact(db, file);
  } catch (err) {
    db.close();
    throw err;
  }
  const fileGuard = file === ':memory:' ? undefined : guardFile(file);
  db.exec(SCHEMA);
  for (const ddl of handlerSchemas) db.exec(ddl);

  const markSeen = db.prepare(
    `INSERT INTO processed (consumer, event_id, event_type, occurred_at, handled_at, delivery_count, stream_seq, trace_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const logDelivery = db.prepare(
    'INSERT INTO delivery_log (consumer, event_id, outcome, delivery_count, stream_seq, at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const deadLetter = db.prepare(
    `INSERT OR REPLACE INTO consumer_dead_letter (consumer, event_id, stream_seq, subject, body, reason, detail, dead_lettered_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const countDead = db.prepare('SELECT count(*) AS n FROM consumer_dead_letter WHERE consumer = ?');
  const pruneProcessed = db.prepare('DELETE FROM processed WHERE rowid IN (SELECT rowid FROM processed WHERE handled_at < ? LIMIT ?)');
  const pruneLog = db.prepare('DELETE FROM delivery_log WHERE rowid IN (SELECT rowid FROM delivery_log WHERE at < ? LIMIT ?)');
  let inBatch = false;
  let savepoints = 0;

  return {
    db,
    /** Whether the open file is still the one at its path (for /health and its gauge). */
    fileGuard,
    /**
     * Runs `work` in one transaction: every handleOnce inside it gets a savepoint, and the whole
     * batch costs one commit (one fsync) instead of one per message. Throws DatabaseFileError after
     * the commit when the file is no longer at its path: the caller must not ack what no restart finds.
     */
    batch<T>(work: () => T): T {
      inBatch = true;
      let result: T;
      try {
        result = inTransaction(db, work);
      } finally {
        inBatch = false;
      }
      fileGuard?.assertInPlace();
      return result;
    },
    /**
     * Runs `effect` once per (consumer, event id). Returns 'duplicate' without running it when the
     * event was already handled; an exception rolls back both the effect and the mark.
     */
    handleOnce(
      consumer: string,
      event: EventEnvelope,
      delivery: Delivery,
      now: number,
      effect: (db: DatabaseSync) => void,
    ): 'handled' | 'duplicate' {
      const name = `m${++savepoints}`;
      const [begin, commit, rollback] = inBatch
        ? [`SAVEPOINT ${name}`, `RELEASE ${name}`, `ROLLBACK TO ${name}; RELEASE ${name}`]
        : ['BEGIN IMMEDIATE', 'COMMIT', 'ROLLBACK'];
      db.exec(begin);
      try {
        const inserted =
          markSeen.run(
            consumer,
            event.id,
            event.type,
            Date.parse(event.occurredAt),
            now,
            delivery.deliveryCount,
            delivery.streamSeq,
            delivery.traceId ?? null,
          ).changes === 1 || !dedup;
        if (inserted) effect(db);
        const outcome = inserted ? 'handled' : 'duplicate';
        logDelivery.run(consumer, event.id, outcome, delivery.deliveryCount, delivery.streamSeq, now);
        db.exec(commit);
        return outcome;
      } catch (err) {
        db.exec(rollback);
        throw err;
      }
    },
    /** Poison messages are parked here (and acked) instead of being redelivered forever. */
    deadLetter(
      consumer: string,
      entry: { eventId?: string; streamSeq: number; subject: string; body: string; reason: string; detail?: string },
      now: number,
    ): void {
      deadLetter.run(consumer, entry.eventId ?? null, entry.streamSeq, entry.subject, entry.body, entry.reason, entry.detail ?? null, now);
    },
    /**
     * Deletes one batch of processed and delivery_log rows older than `cutoff` (epoch ms), in one
     * short transaction; `more` says a full batch went, so more may remain (storage/retention-sweep.ts
     * runs batches until it is false). Dead letters stay: someone must look at each.
     */
    pruneBatch(cutoff: number): { processed: number; deliveryLog: number; more: boolean } {
      const [processed, deliveryLog] = inTransaction(db, () => [
        Number(pruneProcessed.run(cutoff, RETENTION_BATCH_ROWS).changes),
        Number(pruneLog.run(cutoff, RETENTION_BATCH_ROWS).changes),
      ]) as [number, number];
      return { processed, deliveryLog, more: processed === RETENTION_BATCH_ROWS || deliveryLog === RETENTION_BATCH_ROWS };
    },
    deadLetterCount(consumer: string): number {
      return (countDead.get(consumer) as { n: number }).n;
    },
    close(): void {
      if (db.isOpen) db.close();
    },
  };
}
