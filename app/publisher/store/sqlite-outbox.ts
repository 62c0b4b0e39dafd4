// The outbox in SQLite (node:sqlite), inside the application's own database file.
//
// Two connections: the application's, through which publish() writes inside the application's
// transactions, and one of the store's own for everything else. The second connection only ever
// sees committed rows, so a row written in a transaction that is later rolled back is never sent.
// Its commits (claims, settlements) use synchronous=NORMAL: losing one to a power cut only makes a
// delivered event due again, and the event id deduplicates it downstream. Inserts stay FULL.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { guardFile } from '../../storage/file-guard.ts';
import { assertDatabaseIntact, inTransaction, openDurableDatabase } from '../../storage/sqlite.ts';
import type { DeadLetterRow, DualPathRow, NewOutboxRow, OutboxRow } from '../outbox-row.ts';
import { pathsOf } from '../outbox-row.ts';
import type { Settlement } from '../settle.ts';
import type { OutboxStore } from './outbox-store.ts';

export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  trace_headers TEXT,
  webhook_done_at INTEGER,
  nats_done_at INTEGER,
  claimed_by TEXT
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

const INSERT = `INSERT INTO outbox (id, type, body, created_at, attempts, next_attempt_at, trace_headers)
  SELECT $id, $type, $body, $now, 0, $now, $trace
  WHERE NOT EXISTS (SELECT 1 FROM dead_letter WHERE id = $id)
  ON CONFLICT (id) DO NOTHING`;

/** Outbox files written before a column existed get it added. */
function migrate(db: DatabaseSync): void {
  db.exec(SQLITE_SCHEMA);
  const columns = new Set((db.prepare('PRAGMA table_info(outbox)').all() as { name: string }[]).map((c) => c.name));
  for (const [column, type] of [
    ['webhook_done_at', 'INTEGER'],
    ['nats_done_at', 'INTEGER'],
    ['claimed_by', 'TEXT'],
  ]) {
    if (!columns.has(column!)) db.exec(`ALTER TABLE outbox ADD COLUMN ${column} ${type}`);
  }
}

export type SqliteOutboxOptions = {
  /** Opened by the store when a path is given (and checked with PRAGMA quick_check); the application's own connection otherwise. */
  database: DatabaseSync | string;
};

export function sqliteOutbox(options: SqliteOutboxOptions): OutboxStore<DatabaseSync> & { appDb: DatabaseSync } {
  const appDb = typeof options.database === 'string' ? openDurableDatabase(options.database) : options.database;
  if (typeof options.database === 'string') {
    try {
      assertDatabaseIntact(appDb, options.database);
    } catch (err) {
      appDb.close();
      throw err;
    }
  }
  const location = appDb.location();
  // An in-memory database cannot be opened twice: then there is one connection (tests, Phase 1 reproduction).
  // The file is ours (set up by the first connection) or the application's (its modes are its call).
  const db = location ? openDurableDatabase(location, { makePrivate: false }) : appDb;
  const fileGuard = location ? guardFile(location) : undefined;
  migrate(db);
  // A write lock is never held across an await here, so a short wait suffices; a longer one would
  // stall the event loop while the application holds its own transaction open across an await.
  if (db !== appDb) db.exec('PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 200');
  const ownsAppDb = typeof options.database === 'string';

  const inserts = new WeakMap<DatabaseSync, StatementSync>();
  const insertOn = (conn: DatabaseSync) => {
    let stmt = inserts.get(conn);
    if (!stmt) {
      stmt = conn.prepare(INSERT);
      inserts.set(conn, stmt);
    }
    return stmt;
  };
  const insertRows = (conn: DatabaseSync, rows: readonly NewOutboxRow[], now: number) =>
    rows.map((r) => insertOn(conn).run({ id: r.id, type: r.type, body: r.body, now, trace: r.traceHeaders }).changes === 1);

  // Looking first costs no lock: an idle poll, or one while the application holds a write
  // transaction open on its own connection, neither waits nor blocks.
  const anyDue = db.prepare('SELECT 1 FROM outbox WHERE next_attempt_at <= ? LIMIT 1');
  const claim = db.prepare(
    `UPDATE outbox SET next_attempt_at = $lease, claimed_by = $owner
     WHERE id IN (SELECT id FROM outbox WHERE next_attempt_at <= $now ORDER BY next_attempt_at LIMIT $limit)
     RETURNING *`,
  );
  const release = db.prepare('UPDATE outbox SET next_attempt_at = ?, claimed_by = NULL WHERE claimed_by = ?');
  const remove = db.prepare('DELETE FROM outbox WHERE id = ?');
  const reschedule = db.prepare(
    `UPDATE outbox SET attempts = $attempts, next_attempt_at = $next, last_status = $status, last_error = $error, claimed_by = NULL,
       webhook_done_at = coalesce(webhook_done_at, $webhook), nats_done_at = coalesce(nats_done_at, $nats)
     WHERE id = $id AND claimed_by = $owner`,
  );
  const toDeadLetter = db.prepare(
    `INSERT OR REPLACE INTO dead_letter (id, type, body, created_at, attempts, last_status, reason, detail, dead_lettered_at, trace_headers)
     SELECT id, type, body, created_at, $attempts, $status, $reason, $detail, $now, trace_headers FROM outbox WHERE id = $id AND claimed_by = $owner`,
  );
  const removeClaimed = db.prepare('DELETE FROM outbox WHERE id = ? AND claimed_by = ?');
  const insertDualPath = db.prepare(
    'INSERT OR REPLACE INTO dual_path (id, webhook_at, nats_at, paths, completed_at) VALUES (?, ?, ?, ?, ?)',
  );
  const fromDeadLetter = db.prepare(
    `INSERT INTO outbox (id, type, body, created_at, attempts, next_attempt_at, trace_headers)
     SELECT id, type, body, created_at, 0, ?, trace_headers FROM dead_letter WHERE id = ?
     ON CONFLICT (id) DO NOTHING`,
  );
  const removeDeadLetter = db.prepare('DELETE FROM dead_letter WHERE id = ?');
  const allDeadIds = db.prepare('SELECT id FROM dead_letter ORDER BY dead_lettered_at');
  const counts = db.prepare('SELECT (SELECT count(*) FROM outbox) AS outbox, (SELECT count(*) FROM dead_letter) AS deadLetter');
  const listDead = db.prepare('SELECT * FROM dead_letter ORDER BY dead_lettered_at LIMIT ? OFFSET ?');
  const getDead = db.prepare('SELECT * FROM dead_letter WHERE id = ?');
  const dualPathsSince = db.prepare('SELECT * FROM dual_path WHERE completed_at >= ? ORDER BY completed_at');
  const pruneDualPath = db.prepare('DELETE FROM dual_path WHERE rowid IN (SELECT rowid FROM dual_path WHERE completed_at < ? LIMIT ?)');

  const recordDualPath = (s: Settlement, now: number) => {
    if (s.action === 'retry' || !s.dualPath) return;
    insertDualPath.run(s.id, s.dualPath.webhook_at, s.dualPath.nats_at, pathsOf(s.dualPath), now);
  };

  return {
    kind: 'sqlite',
    appDb,
    fileGuard,
    async insertIn(tx, rows, now) {
      fileGuard?.assertInPlace();
      return insertRows(tx, rows, now);
    },
    async insert(rows, now) {
      // The store's own connection: never joins a transaction the application has open on its own.
      db.exec('PRAGMA synchronous = FULL');
      let inserted: boolean[];
      try {
        inserted = inTransaction(db, () => insertRows(db, rows, now));
      } finally {
        if (db !== appDb) db.exec('PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 200');
      }
      // Committed, but to the file at the path? A deleted file takes commits that no restart finds,
      // so the caller must not take them as durable.
      fileGuard?.assertInPlace();
      return inserted;
    },
    async claimDue({ now, limit, leaseUntil, owner }) {
      if (!anyDue.get(now)) return [];
      return inTransaction(db, () => claim.all({ now, limit, lease: leaseUntil, owner }) as OutboxRow[]);
    },
    async releaseClaims(owner, now) {
      return Number(release.run(now, owner).changes);
    },
    async apply(settlements, owner, now) {
      inTransaction(db, () => {
        for (const s of settlements) {
          if (s.action === 'delivered') {
            remove.run(s.id);
            recordDualPath(s, now);
          } else if (s.action === 'retry') {
            reschedule.run({
              id: s.id,
              owner,
              attempts: s.attempts,
              next: s.nextAttemptAt,
              status: s.status,
              error: s.reason,
              webhook: s.done.webhook ?? null,
              nats: s.done.nats ?? null,
            });
          } else {
            toDeadLetter.run({ id: s.id, owner, attempts: s.attempts, status: s.status, reason: s.reason, detail: s.detail, now });
            removeClaimed.run(s.id, owner);
            recordDualPath(s, now);
          }
        }
      });
    },
    async counts() {
      const row = counts.get() as { outbox: number; deadLetter: number };
      return { outbox: row.outbox, deadLetter: row.deadLetter };
    },
    async listDeadLetters(limit, offset) {
      return listDead.all(limit, offset) as DeadLetterRow[];
    },
    async getDeadLetter(id) {
      return getDead.get(id) as DeadLetterRow | undefined;
    },
    async replay(ids, now) {
      const wanted = ids === 'all' ? (allDeadIds.all() as { id: string }[]).map((r) => r.id) : ids;
      return inTransaction(db, () => {
        const replayed: string[] = [];
        for (const id of wanted) {
          if (!getDead.get(id)) continue;
          fromDeadLetter.run(now, id);
          removeDeadLetter.run(id);
          replayed.push(id);
        }
        return replayed;
      });
    },
    async dualPathsSince(since) {
      return dualPathsSince.all(since) as DualPathRow[];
    },
    async pruneDualPath(cutoff, limit) {
      return Number(pruneDualPath.run(cutoff, limit).changes);
    },
    async close() {
      if (db !== appDb && db.isOpen) db.close();
      if (ownsAppDb && appDb.isOpen) appDb.close();
    },
  };
}
