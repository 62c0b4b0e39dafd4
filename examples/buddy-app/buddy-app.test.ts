// The publisher library embedded in an application, against the real downstream: a gateway, NATS
// JetStream and the three consumers, on SQLite and on PostgreSQL.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_NAMES } from '../../app/consumer/handlers/index.ts';
import {
  createWebhookPublisher,
  EventValidationError,
  type OutboxStore,
  parseSecrets,
  postgresOutbox,
  sqliteOutbox,
  webhookTransport,
} from 'webhook-event-bus/publisher';
import { readDeliveryLog } from '../../harness/inbox-reader/consumer-log.ts';
import { startEventBusNats, type EventBusNats } from '../../harness/stack/event-bus-nats.ts';
import { type PostgresServer, startPostgres } from '../../harness/stack/postgres.ts';
import { type Service, startService } from '../../harness/stack/service.ts';
import { sleep, waitFor } from '../../harness/stack/wait.ts';
import { newMatch, postgresMatches, sqliteMatches } from './matches.ts';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../../app/gateway/config.ts';

const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const dir = mkdtempSync(path.join(tmpdir(), 'buddy-app-'));
const consumerDb = path.join(dir, 'consumer', 'inbox.sqlite');
let nats: EventBusNats;
let gateway: Service;
let consumer: Service;
let postgres: PostgresServer;
let pool: pg.Pool;

beforeAll(async () => {
  nats = await startEventBusNats({ dir: path.join(dir, 'nats') });
  const logDir = path.join(dir, 'logs');
  gateway = await startService('gateway', {
    logDir,
    env: { ...nats.env('gateway'), WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'true', WEBHOOK_SIGNATURE_SECRET: secret },
  });
  consumer = await startService('consumer', { logDir, env: { ...nats.env('consumer'), CONSUMER_DB_PATH: consumerDb } });
  postgres = await startPostgres({ dir: path.join(dir, 'postgres'), fsync: false });
  pool = new pg.Pool({ connectionString: postgres.url, max: 8 });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
}, 90_000);

afterAll(async () => {
  await pool?.end();
  await Promise.allSettled([consumer?.stop(), gateway?.stop()]);
  await Promise.allSettled([nats?.stop(), postgres?.stop()]);
});

const handled = (eventId: string) => readDeliveryLog(consumerDb).filter((r) => r.event_id === eventId && r.outcome === 'handled');
const publisherFor = <Tx>(store: OutboxStore<Tx>) =>
  createWebhookPublisher({
    store,
    transports: [webhookTransport({ urls: [`${gateway.url}${DEFAULT_WEBHOOK_ENDPOINT}`], keys: parseSecrets(secret), timeoutMs: 2000 })],
    retry: { baseDelayMs: 100 },
    breaker: { maxProbeIntervalMs: 1000 },
    delivery: { pollIntervalMs: 50 },
    instanceId: `test-${store.kind}`,
  });

const setups = [
  [
    'SQLite (node:sqlite)',
    async () => {
      const db = new DatabaseSync(path.join(mkdtempSync(path.join(dir, 'sqlite-')), 'buddy.sqlite'));
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL');
      const store = sqliteOutbox({ database: db });
      const publisher = publisherFor(store);
      return { publisher, store, matches: sqliteMatches(db, publisher) };
    },
  ],
  [
    'PostgreSQL (pg)',
    async () => {
      const store = await postgresOutbox({ pool });
      const publisher = publisherFor(store);
      return { publisher, store, matches: await postgresMatches(pool, publisher) };
    },
  ],
] as const;

describe.each(setups)('the Buddy app on %s', (_name, setup) => {
  it('sends nothing for a rolled-back transaction, and delivers a committed one exactly once downstream', async () => {
    const { publisher, store, matches } = await setup();
    await publisher.start();
    try {
      const before = new Set(readDeliveryLog(consumerDb).map((r) => r.event_id));
      const failing = matches.create(newMatch(), () => {
        throw new Error('payment check failed after the event was written');
      });
      await expect(failing).rejects.toThrow('payment check failed');
      const committedId = await matches.create(newMatch());
      await waitFor(
        'every consumer to handle the committed event',
        () => CONSUMER_NAMES.every((c) => handled(committedId).some((r) => r.consumer === c)),
        { timeoutMs: 20_000 },
      );
      // Give a wrongly queued rolled-back event every chance to arrive too.
      await sleep(1500);
      const arrived = readDeliveryLog(consumerDb).filter((r) => !before.has(r.event_id));
      // Only the committed event arrived, once at each consumer: the rolled-back one never left.
      expect(arrived.map((r) => [r.event_id, r.outcome])).toEqual(CONSUMER_NAMES.map(() => [committedId, 'handled']));
      expect(await matches.count()).toBe(1);
      expect(await store.counts()).toEqual({ outbox: 0, deadLetter: 0 });
    } finally {
      await publisher.stop();
    }
  });

  it('throws a typed validation error for a bad event, before anything is written', async () => {
    const { publisher, store } = await setup();
    const before = await store.counts();
    const bad = publisher.publish({ type: 'buddy.match.created', data: { matchId: 'not-a-uuid' } });
    await expect(bad).rejects.toBeInstanceOf(EventValidationError);
    await expect(bad).rejects.toMatchObject({ reason: 'schema_invalid' });
    await expect(publisher.publish({ type: 'buddy.unknown', data: {} })).rejects.toMatchObject({ reason: 'unknown_event_type' });
    expect(await store.counts()).toEqual(before);
  });
});

describe('a store that cannot commit', () => {
  it('makes publish() reject on SQLite: nothing is reported as published without being durable', async () => {
    const db = new DatabaseSync(path.join(mkdtempSync(path.join(dir, 'full-')), 'buddy.sqlite'));
    const store = sqliteOutbox({ database: db });
    db.exec("CREATE TRIGGER disk_full BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    const publisher = publisherFor(store);
    await expect(publisher.publish({ type: 'buddy.match.created', data: newMatch() })).rejects.toThrow('database or disk is full');
    expect(await store.counts()).toEqual({ outbox: 0, deadLetter: 0 });
  });

  it('makes publish() reject on PostgreSQL when the server is gone', async () => {
    const own = await startPostgres({ dir: path.join(dir, 'postgres-doomed'), fsync: false });
    const doomed = new pg.Pool({ connectionString: own.url, max: 2, connectionTimeoutMillis: 2000 });
    doomed.on('error', () => undefined);
    const publisher = publisherFor(await postgresOutbox({ pool: doomed }));
    await own.kill();
    await expect(publisher.publish({ type: 'buddy.match.created', data: newMatch() })).rejects.toThrow();
    await doomed.end().catch(() => undefined);
  });
});

describe('a gateway outage several times longer than the retry schedule', () => {
  it('ends with nothing dead-lettered and everything delivered exactly once', async () => {
    // Retries at 0.1, 0.2, 0.4, 0.8, 1.6 s: the whole schedule is 3.1 s; the outage lasts 15 s.
    const db = new DatabaseSync(path.join(mkdtempSync(path.join(dir, 'outage-')), 'buddy.sqlite'));
    const store = sqliteOutbox({ database: db });
    const publisher = publisherFor(store);
    await publisher.start();
    const ids: string[] = [];
    let sending = true;
    const load = (async () => {
      while (sending) {
        ids.push((await publisher.publish({ type: 'buddy.match.created', data: newMatch() })).id);
        await sleep(20);
      }
    })();
    try {
      await sleep(1000);
      await gateway.kill();
      await sleep(15_000);
      const during = await publisher.health();
      expect(during.circuits.webhook).not.toBe('closed');
      await gateway.start();
      await sleep(1000);
      sending = false;
      await load;
      await waitFor('the outbox to drain', async () => (await store.counts()).outbox === 0, { timeoutMs: 60_000, intervalMs: 250 });
      expect(await store.counts()).toEqual({ outbox: 0, deadLetter: 0 });
      await waitFor(
        'every consumer to handle every event',
        () => {
          const log = readDeliveryLog(consumerDb);
          const handledIds = new Set(log.filter((r) => r.outcome === 'handled').map((r) => r.event_id));
          return ids.every((id) => handledIds.has(id));
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(ids.length).toBeGreaterThan(500);
      const log = readDeliveryLog(consumerDb).filter((r) => r.outcome === 'handled' && ids.includes(r.event_id));
      // Exactly once: every event handled by each consumer, none twice.
      expect(log).toHaveLength(ids.length * CONSUMER_NAMES.length);
      expect(new Set(log.map((r) => `${r.consumer}/${r.event_id}`)).size).toBe(log.length);
    } finally {
      sending = false;
      await load;
      await publisher.stop();
    }
  }, 120_000);
});
