// A flood that the gateway answers with 429 for a while ends with every event delivered and none
// dead-lettered: "not now" costs an event no attempt (issue 17, finding 4). Real publisher library
// (SQLite outbox, webhook transport) against the real gateway app on loopback and a real nats-server.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buddyEvent } from '../../harness/load/event-factory.ts';
import { startInProcessGateway, startTestNats, type InProcessGateway, type TestNats } from '../../harness/stack/in-process-gateway.ts';
import { waitFor } from '../../harness/stack/wait.ts';
import { parseSecrets } from '../signature/standard-webhooks.ts';
import { createWebhookPublisher, sqliteOutbox, webhookTransport } from './index.ts';
import { EVENT_BUS_LAYOUT } from '../bus/layout.ts';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const dir = mkdtempSync(path.join(tmpdir(), 'not-now-'));
// 600 per minute: a burst of 600, then 10 a second. A flood of 650 meets 429s for about 5 s.
const PER_MINUTE = 600;
const EVENTS = 650;
let nats: TestNats;
let gateway: InProcessGateway;

beforeAll(async () => {
  nats = await startTestNats(path.join(dir, 'nats'));
  gateway = await startInProcessGateway({
    nats,
    env: { WEBHOOK_SIGNATURE_SECRET: secret, WEBHOOK_RATE_LIMIT_ENABLED: 'true', WEBHOOK_RATE_LIMIT_PER_MINUTE: String(PER_MINUTE) },
  });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await nats?.stop();
});

describe('429 is "not now"', () => {
  it('delivers a flood that the gateway rate-limits, with no dead letter even when no retry is allowed', async () => {
    const logLines: Record<string, unknown>[] = [];
    const publisher = createWebhookPublisher({
      store: sqliteOutbox({ database: path.join(dir, 'outbox.sqlite') }),
      transports: [webhookTransport({ urls: [gateway.webhookUrl], keys: parseSecrets(secret), timeoutMs: 5000 })],
      // Not one charged retry: any 429 counted against an event would dead-letter it at once.
      retry: { maxRetries: 0 },
      delivery: { pollIntervalMs: 50 },
      logger: pino({ level: 'debug' }, { write: (line: string) => void logLines.push(JSON.parse(line)) }),
    });
    await publisher.start();
    try {
      await Promise.all(Array.from({ length: EVENTS }, (_, i) => publisher.publish(buddyEvent(i))));
      await waitFor('the outbox to empty', async () => (await publisher.health()).outbox.depth === 0, {
        timeoutMs: 40_000,
        intervalMs: 200,
      });
      expect(await publisher.deadLetters.list()).toEqual([]);
      expect((await (await jetstreamManager(nats.nc)).streams.info(EVENT_BUS_LAYOUT.stream)).state.messages).toBe(EVENTS);
      const limited = gateway.logLines.filter((l) => l.reason === 'rate_limited').length;
      expect(limited).toBeGreaterThan(0);
      // One line when the pause starts, not one per event told to wait.
      const pauses = logLines.filter((l) => l.msg === 'endpoint said not now: delivery paused, events keep their attempts').length;
      expect(pauses).toBeGreaterThan(0);
      expect(pauses).toBeLessThan(limited);
    } finally {
      await publisher.stop();
    }
  }, 60_000);
});
