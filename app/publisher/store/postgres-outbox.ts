// The outbox in PostgreSQL (the pg client), inside the application's own database. Several
// publisher instances may share it: each claims due rows with FOR UPDATE SKIP LOCKED and holds
// them under a lease (see outbox-store.ts), so no two send the same row at once. publish()
// notifies on commit (pg_notify is delivered only when the transaction commits), which wakes
// every instance's delivery loop without polling.
import type { ClientBase, Pool } from 'pg';
import type { DeadLetterRow, DualPathRow, NewOutboxRow, OutboxRow } from '../outbox-row.ts';
import { pathsOf } from '../outbox-row.ts';
import type { OutboxStore } from './outbox-store.ts';

const CHANNEL = 'webhook_outbox';

export const POSTGRES_SCHEMA = `
CREATE TABLE IF NOT EXISTS webhook_outbox (
  id text PRIMARY KEY,
  type text NOT NULL,
  body text NOT NULL,
  created_at bigint NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  last_status integer,
  last_error text,
  trace_headers text,
  webhook_done_at bigint,
  nats_done_at bigint,
  claimed_by text
);
CREATE INDEX IF NOT EXISTS webhook_outbox_due ON webhook_outbox (next_attempt_at);
CREATE TABLE IF NOT EXISTS webhook_dual_path (
  id text PRIMARY KEY,
  webhook_at bigint,
  nats_at bigint,
  paths text NOT NULL,
  completed_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_dual_path_completed ON webhook_dual_path (completed_at);
CREATE TABLE IF NOT EXISTS webhook_dead_letter (
  id text PRIMARY KEY,
  type text NOT NULL,
  body text NOT NULL,
  created_at bigint NOT NULL,
  attempts integer NOT NULL,
  last_status integer,
  reason text NOT NULL,
  detail text,
  dead_lettered_at bigint NOT NULL,
  trace_headers text
);
`;

const INSERT = `
WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(id, type, body, trace)),
ins AS (
  INSERT INTO webhook_outbox (id, type, body, created_at, attempts, next_attempt_at, trace_headers)
  SELECT i.id, i.type, i.body, $5, 0, $5, i.trace FROM input i
  WHERE NOT EXISTS (SELECT 1 FROM webhook_dead_letter d WHERE d.id = i.id)
  ON CONFLICT (id) DO NOTHING
  RETURNING id)
SELECT id, pg_notify('${CHANNEL}', '') FROM ins`;

const CLAIM = `
UPDATE webhook_outbox o SET next_attempt_at = $1, claimed_by = $2
FROM (SELECT id FROM webhook_outbox WHERE next_attempt_at <= $3 ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) due
WHERE o.id = due.id
RETURNING o.*`;

const RESCHEDULE = `
UPDATE webhook_outbox o SET attempts = u.attempts, next_attempt_at = u.next, last_status = u.status, last_error = u.error, claimed_by = NULL,
  webhook_done_at = coalesce(o.webhook_done_at, u.webhook), nats_done_at = coalesce(o.nats_done_at, u.nats)
FROM unnest($1::text[], $2::int[], $3::bigint[], $4::int[], $5::text[], $6::bigint[], $7::bigint[]) AS u(id, attempts, next, status, error, webhook, nats)
WHERE o.id = u.id AND o.claimed_by = $8`;

const DEAD_LETTER = `
WITH d AS (SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::text[]) AS u(id, attempts, status, reason, detail)),
moved AS (DELETE FROM webhook_outbox o USING d WHERE o.id = d.id AND o.claimed_by = $6 RETURNING o.*)
INSERT INTO webhook_dead_letter (id, type, body, created_at, attempts, last_status, reason, detail, dead_lettered_at, trace_headers)
SELECT m.id, m.type, m.body, m.created_at, d.attempts, d.status, d.reason, d.detail, $7, m.trace_headers FROM moved m JOIN d ON d.id = m.id
ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts, last_status = excluded.last_status, reason = excluded.reason, detail = excluded.detail, dead_lettered_at = excluded.dead_lettered_at`;

const DUAL_PATH = `
INSERT INTO webhook_dual_path (id, webhook_at, nats_at, paths, completed_at)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[])
ON CONFLICT (id) DO UPDATE SET webhook_at = excluded.webhook_at, nats_at = excluded.nats_at, paths = excluded.paths, completed_at = excluded.completed_at`;

const REPLAY = `
WITH moved AS (DELETE FROM webhook_dead_letter WHERE id = ANY($1::text[]) RETURNING *),
ins AS (
  INSERT INTO webhook_outbox (id, type, body, created_at, attempts, next_attempt_at, trace_headers)
  SELECT id, type, body, created_at, 0, $2, trace_headers FROM moved ON CONFLICT (id) DO NOTHING)
SELECT id, pg_notify('${CHANNEL}', '') FROM moved`;

// bigint comes back from pg as a string: the schema's times are milliseconds, well within 2^53.
const BIGINT_COLUMNS = [
  'created_at',
  'next_attempt_at',
  'webhook_done_at',
  'nats_done_at',
  'dead_lettered_at',
  'webhook_at',
  'nats_at',
  'completed_at',
];
function fromPg<T>(row: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...row };
  for (const column of BIGINT_COLUMNS) if (out[column] !== null && out[column] !== undefined) out[column] = Number(out[column]);
  return out as T;
}

export type PostgresOutboxOptions = { pool: Pool };

async function insertRows(client: Pick<ClientBase, 'query'>, rows: readonly NewOutboxRow[], now: number): Promise<boolean[]> {
  const result = await client.query(INSERT, [
    rows.map((r) => r.id),
    rows.map((r) => r.type),
    rows.map((r) => r.body),
    rows.map((r) => r.traceHeaders),
    now,
  ]);
  const inserted = new Set(result.rows.map((r: { id: string }) => r.id));
  // The same id twice in one batch: only its first occurrence counts as queued.
  return rows.map((r) => inserted.delete(r.id));
}

/** Creates the tables when missing, then returns the store. */
export async function postgresOutbox(options: PostgresOutboxOptions): Promise<OutboxStore<ClientBase>> {
  const { pool } = options;
  // Two instances starting together may both try to create the tables: serialise them.
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [CHANNEL]);
    await client.query(POSTGRES_SCHEMA);
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [CHANNEL]).catch(() => undefined);
    client.release();
  }

  async function inTransaction<T>(work: (c: ClientBase) => Promise<T>): Promise<T> {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const result = await work(c);
      await c.query('COMMIT');
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  return {
    kind: 'postgres',
    insertIn: (tx, rows, now) => insertRows(tx, rows, now),
    // One statement is its own transaction: durable when it returns.
    insert: (rows, now) => insertRows(pool, rows, now),
    async claimDue({ now, limit, leaseUntil, owner }) {
      const result = await pool.query(CLAIM, [leaseUntil, owner, now, limit]);
      return result.rows.map(fromPg<OutboxRow>);
    },
    async releaseClaims(owner, now) {
      const result = await pool.query('UPDATE webhook_outbox SET next_attempt_at = $1, claimed_by = NULL WHERE claimed_by = $2', [
        now,
        owner,
      ]);
      return result.rowCount ?? 0;
    },
    async apply(settlements, owner, now) {
      const delivered = settlements.filter((s) => s.action === 'delivered');
      const retries = settlements.filter((s) => s.action === 'retry');
      const dead = settlements.filter((s) => s.action === 'dead_letter');
      const dual = settlements.flatMap((s) => (s.action !== 'retry' && s.dualPath ? [{ id: s.id, ...s.dualPath }] : []));
      const statements: [string, unknown[]][] = [];
      if (delivered.length) statements.push(['DELETE FROM webhook_outbox WHERE id = ANY($1::text[])', [delivered.map((s) => s.id)]]);
      if (retries.length) {
        statements.push([
          RESCHEDULE,
          [
            retries.map((s) => s.id),
            retries.map((s) => s.attempts),
            retries.map((s) => s.nextAttemptAt),
            retries.map((s) => s.status),
            retries.map((s) => s.reason),
            retries.map((s) => s.done.webhook ?? null),
            retries.map((s) => s.done.nats ?? null),
            owner,
          ],
        ]);
      }
      if (dead.length)
        statements.push([
          DEAD_LETTER,
          [
            dead.map((s) => s.id),
            dead.map((s) => s.attempts),
            dead.map((s) => s.status),
            dead.map((s) => s.reason),
            dead.map((s) => s.detail),
            owner,
            now,
          ],
        ]);
      if (dual.length)
        statements.push([
          DUAL_PATH,
          [
            dual.map((d) => d.id),
            dual.map((d) => d.webhook_at),
            dual.map((d) => d.nats_at),
            dual.map((d) => pathsOf(d)),
            dual.map(() => now),
          ],
        ]);
      if (statements.length === 1) await pool.query(...statements[0]!);
      else if (statements.length > 1)
        await inTransaction(async (c) => {
          for (const [sql, params] of statements) await c.query(sql, params);
        });
    },
    async counts() {
      // Estimates would do for a gauge, but exact counts stay cheap at the depths an outbox reaches.
      const result = await pool.query(
        'SELECT (SELECT count(*) FROM webhook_outbox) AS outbox, (SELECT count(*) FROM webhook_dead_letter) AS dead',
      );
      return { outbox: Number(result.rows[0].outbox), deadLetter: Number(result.rows[0].dead) };
    },
    async listDeadLetters(limit, offset) {
      const result = await pool.query('SELECT * FROM webhook_dead_letter ORDER BY dead_lettered_at LIMIT $1 OFFSET $2', [limit, offset]);
      return result.rows.map(fromPg<DeadLetterRow>);
    },
    async getDeadLetter(id) {
      const result = await pool.query('SELECT * FROM webhook_dead_letter WHERE id = $1', [id]);
      return result.rows[0] ? fromPg<DeadLetterRow>(result.rows[0]) : undefined;
    },
    async replay(ids, now) {
      const wanted =
        ids === 'all' ? (await pool.query('SELECT id FROM webhook_dead_letter')).rows.map((r: { id: string }) => r.id) : [...ids];
      const result = await pool.query(REPLAY, [wanted, now]);
      return result.rows.map((r: { id: string }) => r.id);
    },
    async dualPathsSince(since) {
      const result = await pool.query('SELECT * FROM webhook_dual_path WHERE completed_at >= $1 ORDER BY completed_at', [since]);
      return result.rows.map(fromPg<DualPathRow>);
    },
    async pruneDualPath(cutoff, limit) {
      const result = await pool.query(
        'DELETE FROM webhook_dual_path WHERE id IN (SELECT id FROM webhook_dual_path WHERE completed_at < $1 LIMIT $2)',
        [cutoff, limit],
      );
      return result.rowCount ?? 0;
    },
    async watchCommits(wake) {
      let listener: (ClientBase & { release?: () => void }) | undefined;
      let stopped = false;
      const connectListener = async (): Promise<void> => {
        try {
          const c = await pool.connect();
          c.on('notification', wake);
          c.on('error', () => {
            c.release(true);
            // Polling keeps delivery going meanwhile; listen again shortly.
            if (!stopped) setTimeout(() => void connectListener(), 1000).unref();
          });
          await c.query(`LISTEN ${CHANNEL}`);
          listener = c;
        } catch {
          if (!stopped) setTimeout(() => void connectListener(), 1000).unref();
        }
      };
      await connectListener();
      return async () => {
        stopped = true;
        if (!listener) return;
        await listener.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
        listener.release?.();
      };
    },
    async close() {},
  };
}
