// Faults on a real stack: the gateway down, NATS down, the publisher killed mid-delivery.
// Each ends with every acknowledged event handled exactly once by every consumer.
import { DatabaseSync } from 'node:sqlite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseSecrets, signatureHeaders } from '../../app/signature/standard-webhooks.ts';
import { buddyEnvelope, buddyEvent } from '../load/event-factory.ts';
import { runOpenModel } from '../load/open-model.ts';
import { createEvent } from '../load/publisher-client.ts';
import { scrape, sumOf } from '../stack/scrape.ts';
import { startStack, type Stack } from '../stack/stack.ts';
import { sleep } from '../stack/wait.ts';
import { newSecret, summarize, tempDir, waitForAllDelivered, writeArtifact } from './support.ts';

const secret = newSecret();
let stack: Stack;
const results: Record<string, unknown> = {};
let sequence = 0;
// Every id any test tried to create: a consumer seeing one of these is not "unexpected".
const attempted = new Set<string>();

/** Sends `count` events at `rate`, returning the ids the publisher acknowledged (202) and those it did not. */
async function send(count: number, rate: number, onIteration?: (i: number) => Promise<void> | void) {
  const acknowledged = new Set<string>();
  const failed = new Set<string>();
  await runOpenModel({
    stages: [{ ratePerSecond: rate, durationMs: (count / rate) * 1000 }],
    maxInFlight: 200,
    iteration: async (i) => {
      await onIteration?.(i);
      const result = await createEvent(stack.publisher.url, buddyEvent(sequence++), 5000);
      attempted.add(result.id);
      (result.ok ? acknowledged : failed).add(result.id);
      return result;
    },
  });
  return { acknowledged, failed };
}

function outboxDepth(): number {
  const db = new DatabaseSync(stack.outboxPath, { readOnly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  stack = await startStack({ dir: tempDir('faults'), signingSecret: secret });
}, 90_000);

afterEach(() => writeArtifact('failure-recovery.json', results));

afterAll(async () => {
  await stack?.stop();
});

describe('recovery from faults', () => {
  it('delivers everything after the gateway is down for 10 s', async () => {
    const before = await send(50, 25);
    await stack.gateway.kill();
    const during = await send(100, 10); // 10 s of traffic while the gateway is dead
    await stack.gateway.start();
    const after = await send(50, 25);
    const acknowledged = new Set([...before.acknowledged, ...during.acknowledged, ...after.acknowledged]);
    expect(acknowledged.size).toBe(200);
    const counts = await waitForAllDelivered(stack.consumerDbPath, acknowledged, 90_000, attempted);
    for (const c of counts) expect(c).toMatchObject({ lost: [], duplicated: [], unexpected: [] });
    const publisher = await scrape(stack.publisher.url);
    expect(sumOf(publisher, 'webhook_publisher_delivery_errors_total', { reason: 'connection' })).toBeGreaterThan(0);
    expect(sumOf(publisher, 'webhook_publisher_dead_letter_depth')).toBe(0);
    results.gatewayDown10s = { sent: 200, acknowledged: acknowledged.size, ...summarize(counts) };
  }, 150_000);

  it('answers 503 with Retry-After while NATS is stopped, and delivers once it is back', async () => {
    await stack.nats.stop();
    const event = buddyEnvelope(1);
    const body = JSON.stringify(event);
    const probe = await fetch(stack.webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signatureHeaders(parseSecrets(secret), event.id, Math.floor(Date.now() / 1000), body),
      },
      body,
    });
    expect(probe.status).toBe(503);
    expect(probe.headers.get('retry-after')).toBe('5');
    expect(await probe.json()).toMatchObject({ reason: 'bus_unavailable', busReason: 'disconnected' });
    attempted.add(event.id);
    const during = await send(40, 5); // 8 s with NATS down
    const gateway = await scrape(stack.gateway.url);
    expect(sumOf(gateway, 'webhook_gateway_events_received_total', { outcome: 'unavailable', reason: 'bus_unavailable' })).toBeGreaterThan(
      0,
    );
    expect(sumOf(gateway, 'webhook_gateway_bus_publish_errors_total')).toBeGreaterThan(0);
    expect(sumOf(gateway, 'webhook_gateway_errors_total', { reason: 'bus_unavailable' })).toBeGreaterThan(0);
    const publisher = await scrape(stack.publisher.url);
    expect(sumOf(publisher, 'webhook_publisher_delivery_errors_total', { reason: 'http_5xx' })).toBeGreaterThan(0);
    expect(sumOf(publisher, 'webhook_publisher_retries_total')).toBeGreaterThan(0);
    await stack.nats.start();
    const counts = await waitForAllDelivered(stack.consumerDbPath, during.acknowledged, 90_000, attempted);
    for (const c of counts) expect(c).toMatchObject({ lost: [], duplicated: [], unexpected: [] });
    results.natsStopped = { sent: 40, acknowledged: during.acknowledged.size, ...summarize(counts) };
  }, 150_000);

  it('loses nothing when the publisher is SIGKILLed mid-delivery and restarted', async () => {
    // With the gateway down the outbox fills; it is draining (deliveries in flight) when the kill lands.
    await stack.gateway.kill();
    let depthAtKill = 0;
    let killedAt = -1;
    const first = await send(300, 100, async (i) => {
      if (i === 200) {
        await stack.gateway.start();
        await sleep(300); // deliveries are now in flight
        depthAtKill = outboxDepth();
        killedAt = i;
        await stack.publisher.kill();
      }
    });
    await stack.publisher.start();
    const second = await send(100, 50);
    const acknowledged = new Set([...first.acknowledged, ...second.acknowledged]);
    expect(killedAt).toBe(200);
    expect(depthAtKill).toBeGreaterThan(0);
    const counts = await waitForAllDelivered(stack.consumerDbPath, acknowledged, 90_000, attempted);
    for (const c of counts) expect(c).toMatchObject({ lost: [], duplicated: [], unexpected: [] });
    results.publisherSigkill = {
      sent: 400,
      acknowledged: acknowledged.size,
      notAcknowledged: first.failed.size + second.failed.size,
      outboxDepthAtKill: depthAtKill,
      ...summarize(counts),
    };
    console.log('publisher SIGKILL', results.publisherSigkill);
  }, 150_000);
});
