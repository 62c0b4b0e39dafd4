// Issue 17, finding 6, probed against real services: private data files, a corrupt file that stops
// start-up, an outbox or inbox deleted under a running service, and bad bodies that never reach a log.
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { EVENT_BUS_LAYOUT } from '../../app/bus/layout.ts';
import { CONSUMER_NAMES, createHandlers } from '../../app/consumer/handlers/index.ts';
import { openInbox } from '../../app/consumer/inbox.ts';
import type { EventEnvelope } from '../../app/events/envelope.ts';
import { sqliteOutbox } from '../../app/publisher/store/sqlite-outbox.ts';
import { parseSecrets, signatureHeaders } from '../../app/signature/standard-webhooks.ts';
import { buddyEnvelope, buddyEvent } from '../load/event-factory.ts';
import { createEvent } from '../load/publisher-client.ts';
import { scrape, sumOf } from '../stack/scrape.ts';
import { startService, type Service } from '../stack/service.ts';
import { type Stack, startStack } from '../stack/stack.ts';
import { waitFor } from '../stack/wait.ts';
import { newSecret, tempDir, waitForAllDelivered } from './support.ts';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../../app/gateway/config.ts';

const MARKER = 'PERSONAL-DATA-MARKER';
const modeOf = (p: string) => statSync(p).mode & 0o777;
const databaseFiles = (file: string) => [file, `${file}-wal`, `${file}-shm`];

function corruptPage(file: string, page: number): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, (page - 1) * 4096);
  closeSync(fd);
}

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

describe('a corrupt database file stops start-up', () => {
  const handlers = createHandlers({ safetyWords: ['scared'] });
  // Real files first, as the services leave them; then garbage over a page in the middle.
  const cases: [Service['kind'], (file: string) => Promise<void>, (file: string) => Record<string, string>][] = [
    [
      'publisher',
      async (file) => {
        const store = sqliteOutbox({ database: file });
        await store.insert(
          Array.from({ length: 300 }, (_, i) => ({
            id: randomUUID(),
            type: 'buddy.match.ended',
            body: JSON.stringify(buddyEnvelope(i)),
            traceHeaders: null,
          })),
          0,
        );
        await store.close();
      },
      (file) => ({ PUBLISHER_OUTBOX_PATH: file, CSR_WEBHOOK_URL: `http://127.0.0.1:9${DEFAULT_WEBHOOK_ENDPOINT}` }),
    ],
    [
      'consumer',
      async (file) => {
        const inbox = openInbox(
          file,
          handlers.map((h) => h.schema),
        );
        inbox.batch(() => {
          for (let i = 0; i < 200; i++)
            inbox.handleOnce('journey', buddyEnvelope(i) as EventEnvelope, { deliveryCount: 1, streamSeq: i + 1 }, 0, () => undefined);
        });
        inbox.close();
      },
      (file) => ({ CONSUMER_DB_PATH: file }),
    ],
  ];

  it.each(cases)('%s: exit 74 with one line naming the file and database_corrupt', async (kind, fill, env) => {
    const dir = tempDir(`corrupt-${kind}`);
    const file = path.join(dir, 'data', `${kind}.sqlite`);
    await fill(file);
    corruptPage(file, 2);
    await expect(startService(kind, { env: env(file), logDir: dir })).rejects.toThrow(/exited with 74 during start-up/);
    const log = readFileSync(path.join(dir, `${kind}.log`), 'utf8');
    const lines = log.split('\n').filter((l) => l.includes('database_corrupt'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${kind}: database_corrupt: ${file}: PRAGMA quick_check failed`);
    expect(log).not.toMatch(/^\s+at /m);
  });
});

describe('a running stack', () => {
  let stack: Stack;
  let secret: string;
  beforeAll(async () => {
    secret = newSecret();
    stack = await startStack({ dir: tempDir('data-at-rest'), signingSecret: secret });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('keeps the outbox and the inbox in 0700 directories, as 0600 files', () => {
    for (const file of [stack.outboxPath, stack.consumerDbPath]) {
      expect([file, modeOf(path.dirname(file))]).toEqual([file, 0o700]);
      for (const f of databaseFiles(file)) expect([f, modeOf(f)]).toEqual([f, 0o600]);
    }
  });

  it('logs no body: a flood of bad bodies at the publisher and the gateway leaves no trace of them', async () => {
    const services = [stack.publisher, stack.gateway, stack.consumer];
    const before = new Map(services.map((s) => [s.name, statSync(s.logFile).size]));
    const publisherUrl = `${stack.publisher.url}/events`;
    const auth: Record<string, string> = stack.publisher.apiToken ? { authorization: `Bearer ${stack.publisher.apiToken}` } : {};
    const keys = parseSecrets(secret);
    const signed = (body: string, id: string = randomUUID()) => signatureHeaders(keys, id, Math.floor(Date.now() / 1000), body);
    const checkin = (notes: string) => {
      const event = buddyEvent(1);
      return { ...event, data: { ...event.data, notes } };
    };

    // Each bad body carries the marker where a careless log line would pick it up.
    const malformedBig = `{"type":"buddy.checkin.completed","data":{"notes":"${MARKER.repeat(9000)}" ${MARKER}}}`; // ~180 KB, under the 256 KiB limit
    const atPublisher: [string, string, Record<string, string>, number][] = [
      ['malformed, large', malformedBig, {}, 400],
      ['not JSON at all', MARKER, {}, 400],
      ['oversized', `{"notes":"${MARKER.repeat(20_000)}"}`, {}, 413],
      ['invalid data', JSON.stringify({ type: 'buddy.checkin.completed', data: { mood: MARKER, notes: MARKER } }), {}, 422],
      ['unknown type', JSON.stringify({ type: MARKER, data: { notes: MARKER } }), {}, 422],
      ['not JSON content', MARKER, { 'content-type': 'text/plain' }, 415],
    ];
    const malformedSmall = `{"type":"buddy.checkin.completed","data":{"notes":"${MARKER.repeat(1000)}" ${MARKER}}}`; // ~20 KB, under the gateway's limit
    const invalidEnvelope = JSON.stringify({ ...buddyEnvelope(1), data: { notes: MARKER } });
    const atGateway: [string, string, Record<string, string>, number][] = [
      ['signed, malformed', malformedSmall, signed(malformedSmall), 400],
      ['signed, not JSON at all', MARKER, signed(MARKER), 400],
      ['unsigned', malformedSmall, {}, 401],
      ['signed for another body', malformedSmall, signed('{}'), 401],
      ['oversized', `{"notes":"${MARKER.repeat(10_000)}"}`, {}, 413],
      ['signed, invalid event', invalidEnvelope, signed(invalidEnvelope), 422],
    ];

    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      for (const [what, body, headers, status] of atPublisher) {
        const res = await post(publisherUrl, body, { ...auth, ...headers });
        expect([what, res.status]).toEqual([what, status]);
        expect(res.type).toContain('application/problem+json');
        // A problem may name the caller's own field values back to it; a parse error no longer quotes the body.
        if (status === 400) expect([what, res.text.includes(MARKER)]).toEqual([what, false]);
      }
      for (const [what, body, headers, status] of atGateway) {
        const res = await post(stack.webhookUrl, body, headers);
        expect([what, res.status]).toEqual([what, status]);
        if (status === 400) expect([what, res.text.includes(MARKER)]).toEqual([what, false]);
      }
    }
    // And good events that carry the marker in their data, end to end, through both doors.
    const acknowledged = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const result = await createEvent(stack.publisher, checkin(`${MARKER} ${i}`));
      expect(result.ok).toBe(true);
      acknowledged.add(result.id);
      const direct = buddyEnvelope(1);
      const envelope = { ...direct, data: { ...direct.data, notes: `${MARKER} direct ${i}` } };
      const body = JSON.stringify(envelope);
      expect((await post(stack.webhookUrl, body, signed(body, envelope.id))).status).toBe(202);
      acknowledged.add(envelope.id);
    }
    await waitForAllDelivered(stack.consumerDbPath, acknowledged, 30_000);

    const grown = (s: Service) => readFileSync(s.logFile).subarray(before.get(s.name)!).toString('utf8');
    const rejections = (s: Service) =>
      grown(s)
        .split('\n')
        .filter((l) => l.includes('"malformed_json"')).length;
    await waitFor(
      'the rejections to reach the log files',
      () => rejections(stack.publisher) >= 2 * rounds && rejections(stack.gateway) >= 2 * rounds,
      { timeoutMs: 10_000 },
    );
    const sent = rounds * (atPublisher.length + atGateway.length);
    for (const service of services) {
      const text = grown(service);
      expect([service.name, text.includes(MARKER)]).toEqual([service.name, false]);
      // About a line per request; before, 4 junk requests added 1 MB to the publisher's log.
      expect([service.name, Buffer.byteLength(text) < sent * 1024]).toEqual([service.name, true]);
    }
    expect(grown(stack.publisher)).toMatch(/"reason":"malformed_json".*"body_bytes":\d+.*"json_error_position":\d+/);
    expect(grown(stack.gateway)).toMatch(/"reason":"malformed_json".*"body_bytes":\d+.*"json_error_position":\d+/);
  });

  it('rm outbox.sqlite* under the publisher: events get 503, not 202, and /health is 503', async () => {
    for (const f of databaseFiles(stack.outboxPath)) rmSync(f, { force: true });
    // The probe: ten events after the rm were acknowledged, and gone after a restart.
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => createEvent(stack.publisher, buddyEvent(i))));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(503));
    const auth: Record<string, string> = stack.publisher.apiToken ? { authorization: `Bearer ${stack.publisher.apiToken}` } : {};
    const refused = await post(`${stack.publisher.url}/events`, JSON.stringify(buddyEvent(1)), auth);
    expect(refused.type).toContain('application/problem+json');
    expect(JSON.parse(refused.text)).toMatchObject({ status: 503, reason: 'database_file_missing' });

    const health = await fetch(`${stack.publisher.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      status: 'degraded',
      ok: false,
      storeFile: { path: stack.outboxPath, ok: false, reason: 'database_file_missing' },
    });
    expect(sumOf(await scrape(stack.publisher.url), 'webhook_publisher_store_file_ok')).toBe(0);
    await waitFor(
      'the publisher to log it',
      () => readFileSync(stack.publisher.logFile, 'utf8').includes('outbox file is no longer the file at its path'),
      { timeoutMs: 5000 },
    );

    // A restart opens a fresh outbox: healthy again, and the gauge says so.
    await stack.publisher.stop();
    await stack.publisher.start();
    expect((await fetch(`${stack.publisher.url}/health`)).status).toBe(200);
    expect(sumOf(await scrape(stack.publisher.url), 'webhook_publisher_store_file_ok')).toBe(1);
  });

  it('rm inbox.sqlite* under the consumer: /health is 503, the gauge 0, and it stops pulling so events wait in JetStream', async () => {
    expect(sumOf(await scrape(stack.consumer.url), 'event_consumer_inbox_file_ok')).toBe(1);
    for (const f of databaseFiles(stack.consumerDbPath)) rmSync(f, { force: true });
    const health = await fetch(`${stack.consumer.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      status: 'degraded',
      inboxFile: { path: stack.consumerDbPath, ok: false, reason: 'database_file_missing' },
    });
    expect(sumOf(await scrape(stack.consumer.url), 'event_consumer_inbox_file_ok')).toBe(0);
    await waitFor(
      'the consumer to log it',
      () => readFileSync(stack.consumer.logFile, 'utf8').includes('inbox file is no longer the file at its path'),
      { timeoutMs: 5000 },
    );

    // It stops pulling: new events wait in JetStream instead of being delivered, left unacked and
    // redelivered until max_deliver gives up on them.
    await waitFor('the consumer to stop consuming', () => readFileSync(stack.consumer.logFile, 'utf8').includes('stopped consuming'), {
      timeoutMs: 10_000,
    });
    for (let i = 0; i < 5; i++) expect((await createEvent(stack.publisher, buddyEvent(900 + i))).ok).toBe(true);
    const nc = await stack.connectNats('consumer');
    try {
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      await waitFor(
        'the events to wait in the stream',
        async () => (await jsm.consumers.info(EVENT_BUS_LAYOUT.stream, 'journey')).num_pending >= 5,
        { timeoutMs: 15_000 },
      );
      await new Promise((r) => setTimeout(r, 3000));
      for (const consumer of CONSUMER_NAMES) {
        const info = await jsm.consumers.info(EVENT_BUS_LAYOUT.stream, consumer);
        expect({ consumer, pending: info.num_pending >= 5, redelivered: info.num_redelivered }).toEqual({
          consumer,
          pending: true,
          redelivered: 0,
        });
      }
    } finally {
      await nc.close();
    }
  });
});
