// One contract, two databases: every case runs against SQLite and against a real PostgreSQL server.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buddyEnvelope } from '../../../harness/load/event-factory.ts';
import { type PostgresServer, startPostgres } from '../../../harness/stack/postgres.ts';
import type { NewOutboxRow } from '../outbox-row.ts';
import type { Settlement } from '../settle.ts';
import type { OutboxStore } from './outbox-store.ts';
import { postgresOutbox } from './postgres-outbox.ts';
import { sqliteOutbox } from './sqlite-outbox.ts';

const newRow = (i: number): NewOutboxRow => {
  const e = buddyEnvelope(i);
  return { id: e.id, type: e.type, body: JSON.stringify(e), traceHeaders: null };
};
const tmp = () => mkdtempSync(path.join(tmpdir(), 'outbox-store-'));
const claim = (store: OutboxStore<unknown>, now: number, owner = 'a', limit = 10, leaseMs = 1000) =>
  store.claimDue({ now, limit, leaseUntil: now + leaseMs, owner });
const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();
const settled = (id: string, s: Partial<Settlement> & Pick<Settlement, 'action'>): Settlement =>
  ({ id, done: {}, errors: [], status: null, ...s }) as Settlement;

let server: PostgresServer;
let pool: pg.Pool;
let schemaNo = 0;
const casePools: pg.Pool[] = [];
/** pool.end() resolves before its sockets close, so the server's shutdown can still reach one. */
const quiet = (p: pg.Pool) => {
  p.on('error', () => undefined);
  p.on('connect', (client) => client.on('error', () => undefined));
};

beforeAll(async () => {
  server = await startPostgres({ dir: tmp(), fsync: false });
  pool = new pg.Pool({ connectionString: server.url, max: 6 });
  quiet(pool);
}, 60_000);
afterAll(async () => {
  await Promise.all(casePools.map((p) => p.end()));
  await pool?.end();
  await server?.stop();
});

/** Each case gets an empty outbox: a fresh SQLite file, or a fresh PostgreSQL database. */
const stores: [
  string,
  () => Promise<{ store: OutboxStore<unknown>; inTx: (work: (tx: unknown) => Promise<void>, commit: boolean) => Promise<void> }>,
][] = [
  [
    'sqlite',
    async () => {
      const db = new DatabaseSync(path.join(tmp(), 'app.sqlite'));
      const store = sqliteOutbox({ database: db }) as OutboxStore<unknown>;
      return {
        store,
        inTx: async (work, commit) => {
          db.exec('BEGIN');
          await work(db);
          db.exec(commit ? 'COMMIT' : 'ROLLBACK');
        },
      };
    },
  ],
  [
    'postgres',
    async () => {
      const name = `outbox_case_${++schemaNo}`;
      await pool.query(`CREATE DATABASE ${name}`);
      const own = new pg.Pool({ connectionString: server.url.replace(/\/postgres$/, `/${name}`), max: 4 });
      quiet(own);
      casePools.push(own);
      const store = (await postgresOutbox({ pool: own })) as OutboxStore<unknown>;
      return {
        store,
        inTx: async (work, commit) => {
          const c = await own.connect();
          await c.query('BEGIN');
          await work(c);
          await c.query(commit ? 'COMMIT' : 'ROLLBACK');
          c.release();
        },
      };
    },
  ],
];

describe.each(stores)('the %s outbox', (_name, open) => {
  it('is idempotent on the event id, also within one batch', async () => {
    const { store } = await open();
    const [a, b] = [newRow(0), newRow(1)];
    expect(await store.insert([a, b, a], 0)).toEqual([true, true, false]);
    expect(await store.insert([a], 0)).toEqual([false]);
    expect(await store.counts()).toEqual({ outbox: 2, deadLetter: 0 });
  });

  it("writes inside the caller's transaction: a rollback leaves nothing to send, a commit does", async () => {
    const { store, inTx } = await open();
    const [gone, kept] = [newRow(0), newRow(1)];
    await inTx(async (tx) => void (await store.insertIn(tx, [gone], 0)), false);
    await inTx(async (tx) => void (await store.insertIn(tx, [kept], 0)), true);
    expect(ids(await claim(store, 0))).toEqual([kept.id]);
  });

  it('never shows a row to the delivery side before the caller commits', async () => {
    const { store, inTx } = await open();
    const row = newRow(0);
    await inTx(async (tx) => {
      await store.insertIn(tx, [row], 0);
      expect(await claim(store, 0)).toEqual([]);
    }, true);
    expect(ids(await claim(store, 0))).toEqual([row.id]);
  });

  it('claims due rows oldest first under a lease: not due again until the lease ends', async () => {
    const { store } = await open();
    const [a, b, c] = [newRow(0), newRow(1), newRow(2)];
    await store.insert([a], 100);
    await store.insert([b], 50);
    await store.insert([c], 500);
    expect((await claim(store, 200, 'a', 1)).map((r) => r.id)).toEqual([b.id]);
    expect(ids(await claim(store, 200, 'a'))).toEqual([a.id]);
    expect(await claim(store, 400)).toEqual([]);
    expect(ids(await claim(store, 1100))).toEqual([c.id]);
    // The leases of a and b end at 1200: a dead claimer's rows come back.
    expect(ids(await claim(store, 1200, 'b'))).toEqual(ids([a, b]));
  });

  it('lets two instances claim concurrently without ever sharing a row', async () => {
    const { store } = await open();
    const rows = Array.from({ length: 60 }, (_, i) => newRow(i));
    await store.insert(rows, 0);
    const claims = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => claim(store, 10, `p${i % 2}`, 15)));
    const all = claims.flat().map((r) => r.id);
    expect(all).toHaveLength(60);
    expect(new Set(all).size).toBe(60);
  });

  it('releases the claims an instance left behind when it restarts', async () => {
    const { store } = await open();
    await store.insert([newRow(0), newRow(1)], 0);
    expect(await claim(store, 0, 'dead')).toHaveLength(2);
    expect(await store.releaseClaims('other', 5)).toBe(0);
    expect(await store.releaseClaims('dead', 5)).toBe(2);
    expect(await claim(store, 5)).toHaveLength(2);
  });

  it('applies delivered, retried and dead-lettered rows together', async () => {
    const { store } = await open();
    const [d, r, x] = [newRow(0), newRow(1), newRow(2)];
    await store.insert([d, r, x], 0);
    await claim(store, 0, 'me');
    await store.apply(
      [
        settled(d.id, { action: 'delivered', dualPath: null }),
        settled(r.id, {
          action: 'retry',
          attempts: 1,
          nextAttemptAt: 5000,
          reason: 'http_5xx',
          charged: true,
          retried: ['webhook'],
          status: 503,
          done: { nats: 7 },
        }),
        settled(x.id, {
          action: 'dead_letter',
          attempts: 1,
          reason: 'rejected:http_4xx',
          detail: 'rejected after 1 attempt(s)',
          status: 422,
          dualPath: null,
        }),
      ],
      'me',
      9000,
    );
    expect(await store.counts()).toEqual({ outbox: 1, deadLetter: 1 });
    expect(await claim(store, 4999)).toEqual([]);
    expect(await claim(store, 5000)).toMatchObject([
      { id: r.id, attempts: 1, last_status: 503, last_error: 'http_5xx', nats_done_at: 7, webhook_done_at: null },
    ]);
    expect(await store.getDeadLetter(x.id)).toMatchObject({
      id: x.id,
      attempts: 1,
      last_status: 422,
      reason: 'rejected:http_4xx',
      dead_lettered_at: 9000,
    });
  });

  it('keeps a dead-lettered id out of the outbox until it is replayed, then replays it with the same id', async () => {
    const { store } = await open();
    const [a, b] = [newRow(0), newRow(1)];
    await store.insert([a, b], 0);
    await claim(store, 0, 'me');
    const dead = (id: string) =>
      settled(id, { action: 'dead_letter', attempts: 6, reason: 'exhausted:http_5xx', detail: 'x', status: 503, dualPath: null });
    await store.apply([dead(a.id), dead(b.id)], 'me', 1);
    expect(await store.insert([a], 2)).toEqual([false]);
    expect((await store.listDeadLetters(10, 0)).map((r) => r.id).sort()).toEqual(ids([a, b]));
    expect(await store.replay([a.id, 'missing'], 3)).toEqual([a.id]);
    expect(await claim(store, 3)).toMatchObject([{ id: a.id, attempts: 0 }]);
    expect(await store.replay('all', 4)).toEqual([b.id]);
    expect(await store.counts()).toEqual({ outbox: 2, deadLetter: 0 });
  });

  it('records the dual-path comparison of finished events', async () => {
    const { store } = await open();
    const row = newRow(0);
    await store.insert([row], 0);
    await claim(store, 0, 'me');
    await store.apply([settled(row.id, { action: 'delivered', dualPath: { webhook_at: 10, nats_at: null } })], 'me', 20);
    expect(await store.dualPathsSince(0)).toEqual([{ id: row.id, webhook_at: 10, nats_at: null, paths: 'webhook_only', completed_at: 20 }]);
  });

  it('prunes dual-path rows completed before a cutoff, at most a batch at a time (retention)', async () => {
    const { store } = await open();
    const rows = [0, 1, 2].map((i) => newRow(i));
    await store.insert(rows, 0);
    await claim(store, 0, 'me');
    await store.apply(
      rows.map((r) => settled(r.id, { action: 'delivered', dualPath: { webhook_at: 10, nats_at: 11 } })),
      'me',
      20,
    );
    expect(await store.pruneDualPath(20, 10)).toBe(0);
    expect(await store.pruneDualPath(21, 2)).toBe(2);
    expect(await store.pruneDualPath(21, 2)).toBe(1);
    expect(await store.dualPathsSince(0)).toEqual([]);
  });
});

describe('the sqlite outbox file', () => {
  it('survives a reopen: what was queued is still due, and an old file gains the new columns', async () => {
    const file = path.join(tmp(), 'outbox.sqlite');
    const old = new DatabaseSync(file);
    old.exec(`CREATE TABLE outbox (id TEXT PRIMARY KEY, type TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, last_status INTEGER, last_error TEXT, trace_headers TEXT)`);
    old.close();
    const a = sqliteOutbox({ database: file });
    const row = newRow(0);
    await a.insert([row], 1000);
    await a.close();
    const b = sqliteOutbox({ database: file });
    expect(await claim(b, 1000)).toMatchObject([{ id: row.id, attempts: 0, body: row.body, webhook_done_at: null }]);
    await b.close();
  });
});
