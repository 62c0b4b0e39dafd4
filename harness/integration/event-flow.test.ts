// The happy path and every way in which bad input is turned away, on a real stack:
// nats-server, gateway, consumers and publisher as separate processes on loopback.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSecrets, signatureHeaders } from '../../app/signature/standard-webhooks.ts';
import { ALL_METRICS, exposedSeriesNames, HTTP_SERVER_DURATION_METRIC } from '../../app/telemetry/metric-catalog.ts';
import { CONSUMER_NAMES } from '../../app/consumer/handlers/index.ts';
import { readDeliveryLog, readProcessed } from '../history/consumer-log.ts';
import { waitFor } from '../stack/wait.ts';
import { buddyEnvelope, buddyEvent } from '../load/event-factory.ts';
import { percentile, runOpenModel } from '../load/open-model.ts';
import { createEvent } from '../load/publisher-client.ts';
import { scrape, sumOf, type Sample } from '../stack/scrape.ts';
import { startStack, type Stack } from '../stack/stack.ts';
import { countDeliveries, newSecret, tempDir, waitForAllDelivered, writeArtifact } from './support.ts';

const secret = newSecret();
const keys = parseSecrets(secret);
let stack: Stack;
let nc: NatsConnection;

async function streamMessages(): Promise<number> {
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  return (await jsm.streams.info('BUDDY_EVENTS')).state.messages;
}

function eventIdOf(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** POSTs straight to the gateway, signed unless told otherwise. */
async function postWebhook(body: string, options: { contentType?: string; headers?: Record<string, string>; sign?: boolean; id?: string; timestamp?: number } = {}) {
  // webhook-id is the event's id, as the publisher sends it (a body that is not an event gets any).
  const id = options.id ?? eventIdOf(body) ?? randomUUID();
  const signed = options.sign === false ? {} : signatureHeaders(keys, id, options.timestamp ?? Math.floor(Date.now() / 1000), body);
  const res = await fetch(stack.webhookUrl, {
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/json', ...signed, ...options.headers },
    body,
  });
  return { status: res.status, contentType: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  stack = await startStack({ dir: tempDir('flow'), signingSecret: secret });
  // The publisher identity: it may publish events (a replay below) and read the stream's state.
  nc = await stack.connectNats('publisher');
}, 90_000);

afterAll(async () => {
  await nc?.close();
  await stack?.stop();
});

describe('publisher → gateway → JetStream → consumers', () => {
  it('delivers every event exactly once to each of the three consumers at 50 events/s', async () => {
    const acknowledged = new Set<string>();
    const run = await runOpenModel({
      stages: [{ ratePerSecond: 50, durationMs: 10_000 }],
      maxInFlight: 100,
      iteration: async (i) => {
        const result = await createEvent(stack.publisher.url, buddyEvent(i));
        if (result.ok) acknowledged.add(result.id);
        return result;
      },
    });
    expect(run.dropped).toBe(0);
    expect(acknowledged.size).toBe(500);
    const counts = await waitForAllDelivered(stack.consumerDbPath, acknowledged);
    for (const c of counts) expect(c).toMatchObject({ delivered: 500, lost: [], duplicated: [], unexpected: [] });

    // End-to-end latency: occurredAt (set by the publisher on create) to handler commit.
    const latencies = readProcessed(stack.consumerDbPath).filter((r) => acknowledged.has(r.event_id)).map((r) => r.handled_at - r.occurred_at);
    const summary = { rate: 50, events: acknowledged.size, consumers: counts.length, p50_ms: percentile(latencies, 50), p95_ms: percentile(latencies, 95), p99_ms: percentile(latencies, 99) };
    writeArtifact('e2e-latency-50rps.json', summary);
    console.log('end-to-end latency at 50 events/s', summary);
    expect(summary.p99_ms).toBeLessThan(5000);
  });

  it("carries the caller's W3C trace through the publisher, the gateway and NATS to every consumer", async () => {
    const event = buddyEvent(7);
    const callerTraceId = randomUUID().replaceAll('-', '');
    const response = await fetch(`${stack.publisher.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${callerTraceId}-${'ab'.repeat(8)}-00` },
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(202);
    const created = { id: event.id };
    await waitForAllDelivered(stack.consumerDbPath, new Set([created.id]));
    const { DatabaseSync } = await import('node:sqlite');
    const inbox = new DatabaseSync(stack.consumerDbPath, { readOnly: true });
    const traceIds = inbox.prepare('SELECT DISTINCT trace_id FROM processed WHERE event_id = ?').all(created.id) as { trace_id: string | null }[];
    inbox.close();
    expect(traceIds).toHaveLength(1);
    expect(traceIds[0]!.trace_id).toBe(callerTraceId);
    const gatewayLog = execFileSync('grep', [created.id, stack.gateway.logFile], { encoding: 'utf8' });
    expect(gatewayLog).toContain(traceIds[0]!.trace_id!);
  });

  it('deduplicates a replay that JetStream no longer recognises as a duplicate', async () => {
    // Published straight to the stream without a msgID: what a replay after the duplicate window looks like.
    const event = buddyEnvelope(1);
    const js = jetstream(nc);
    for (let i = 0; i < 2; i++) await js.publish(`buddy-events.${event.type}.v${event.version}`, JSON.stringify(event));
    await waitForAllDelivered(stack.consumerDbPath, new Set([event.id]));
    await waitFor('both copies to reach every consumer', () => {
      const log = readDeliveryLog(stack.consumerDbPath).filter((r) => r.event_id === event.id);
      return log.length === 6 && log;
    });
    const log = readDeliveryLog(stack.consumerDbPath).filter((r) => r.event_id === event.id);
    for (const consumer of CONSUMER_NAMES) {
      expect(log.filter((r) => r.consumer === consumer).map((r) => r.outcome).sort()).toEqual(['duplicate', 'handled']);
    }
  });

  it('flags a duplicate POST and does not deliver it twice', async () => {
    const event = buddyEnvelope(2);
    const body = JSON.stringify(event);
    const first = await postWebhook(body, { id: event.id });
    const second = await postWebhook(body, { id: event.id });
    expect(first).toMatchObject({ status: 202, body: { id: event.id, duplicate: false } });
    expect(second).toMatchObject({ status: 202, body: { id: event.id, duplicate: true } });
    const before = await scrape(stack.gateway.url);
    expect(sumOf(before, 'webhook_gateway_events_received_total', { outcome: 'duplicate' })).toBeGreaterThanOrEqual(1);
    await waitForAllDelivered(stack.consumerDbPath, new Set([event.id]));
    // Give a would-be second copy time to arrive, then check nobody handled it twice.
    await new Promise((r) => setTimeout(r, 1000));
    for (const c of countDeliveries(stack.consumerDbPath, new Set([event.id]))) expect(c.duplicated).toEqual([]);
  });
});

describe('bad input is rejected with its status, reason and metric, and nothing is published', () => {
  const valid = () => buddyEnvelope(3);
  const oversized = JSON.stringify({ ...valid(), data: { ...valid().data, comment: 'x'.repeat(300 * 1024) } });
  const protoBody = `{"__proto__":{"admin":true},${JSON.stringify(valid()).slice(1)}`;
  const now = Math.floor(Date.now() / 1000);

  type Case = {
    name: string;
    send: () => ReturnType<typeof postWebhook>;
    status: number;
    reason: string;
    outcome: string;
    signatureReason?: string;
    errorPath?: string;
  };
  const cases: Case[] = [
    { name: 'malformed JSON', send: () => postWebhook('{"id": '), status: 400, reason: 'malformed_json', outcome: 'invalid' },
    { name: 'wrong content type', send: () => postWebhook(JSON.stringify(valid()), { contentType: 'text/plain' }), status: 415, reason: 'unsupported_media_type', outcome: 'invalid' },
    { name: 'oversized body', send: () => postWebhook(oversized), status: 413, reason: 'payload_too_large', outcome: 'invalid' },
    { name: 'missing field', send: () => { const { source: _s, ...e } = valid(); return postWebhook(JSON.stringify(e)); }, status: 422, reason: 'schema_invalid', outcome: 'invalid', errorPath: '/source' },
    { name: 'extra field', send: () => postWebhook(JSON.stringify({ ...valid(), admin: true })), status: 422, reason: 'schema_invalid', outcome: 'invalid', errorPath: '/' },
    { name: 'missing data field', send: () => { const e = valid(); const { rating: _r, ...data } = e.data; return postWebhook(JSON.stringify({ ...e, data })); }, status: 422, reason: 'schema_invalid', outcome: 'invalid', errorPath: '/data/rating' },
    { name: 'unknown type', send: () => postWebhook(JSON.stringify({ ...valid(), type: 'buddy.unknown.happened' })), status: 422, reason: 'unknown_event_type', outcome: 'invalid', errorPath: '/type' },
    { name: 'unknown version', send: () => postWebhook(JSON.stringify({ ...valid(), version: 99 })), status: 422, reason: 'unknown_event_version', outcome: 'invalid', errorPath: '/version' },
    { name: 'bad UUID', send: () => postWebhook(JSON.stringify({ ...valid(), id: '1234' })), status: 422, reason: 'schema_invalid', outcome: 'invalid', errorPath: '/id' },
    { name: '__proto__ key', send: () => postWebhook(protoBody), status: 422, reason: 'schema_invalid', outcome: 'invalid', errorPath: '/' },
    { name: 'missing signature', send: () => postWebhook(JSON.stringify(valid()), { sign: false }), status: 401, reason: 'signature_missing', outcome: 'unauthorized', signatureReason: 'missing' },
    { name: 'malformed signature', send: () => postWebhook(JSON.stringify(valid()), { headers: { 'webhook-signature': 'v1,@@not-base64@@' } }), status: 401, reason: 'signature_malformed', outcome: 'unauthorized', signatureReason: 'malformed' },
    { name: 'wrong signature', send: () => postWebhook(JSON.stringify(valid()), { headers: { 'webhook-signature': `v1,${Buffer.alloc(32, 7).toString('base64')}` } }), status: 401, reason: 'signature_mismatch', outcome: 'unauthorized', signatureReason: 'mismatch' },
    { name: 'expired signature', send: () => postWebhook(JSON.stringify(valid()), { timestamp: now - 3600 }), status: 401, reason: 'signature_expired', outcome: 'unauthorized', signatureReason: 'expired' },
    { name: 'webhook-id of another event', send: () => postWebhook(JSON.stringify(valid()), { id: randomUUID() }), status: 400, reason: 'webhook_id_mismatch', outcome: 'invalid' },
  ];

  it.each(cases)('$name → $status $reason', async (c) => {
    const messagesBefore = await streamMessages();
    const before = await scrape(stack.gateway.url);
    const res = await c.send();
    expect(res.status).toBe(c.status);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: c.status, reason: c.reason, type: `urn:webhook-event-bus:problem:${c.reason}` });
    if (c.errorPath) expect((res.body.errors as { path: string }[]).map((e) => e.path)).toContain(c.errorPath);
    const after = await scrape(stack.gateway.url);
    const delta = (samples: Sample[], name: string, labels: Record<string, string>) => sumOf(samples, name, labels);
    expect(delta(after, 'webhook_gateway_events_received_total', { outcome: c.outcome, reason: c.reason }) - delta(before, 'webhook_gateway_events_received_total', { outcome: c.outcome, reason: c.reason })).toBe(1);
    if (c.signatureReason) {
      const labels = { reason: c.signatureReason };
      expect(delta(after, 'webhook_gateway_signature_failures_total', labels) - delta(before, 'webhook_gateway_signature_failures_total', labels)).toBe(1);
    }
    expect(await streamMessages()).toBe(messagesBefore);
  });

  it('logs each rejection with the same reason word', () => {
    const log = execFileSync('cat', [stack.gateway.logFile], { encoding: 'utf8' });
    for (const c of cases) expect(log).toContain(`"reason":"${c.reason}"`);
  });
});

describe('telemetry', () => {
  it('exports every metric in the catalogue, passes promtool check metrics, and labels http_route', async () => {
    const services = [stack.gateway, stack.publisher, stack.consumer];
    const exposed = new Set<string>();
    for (const service of services) {
      const text = await (await fetch(`${service.url}/metrics`)).text();
      const lint = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(lint, `${service.name} /metrics`).toBe('');
      for (const s of (await scrape(service.url))) exposed.add(s.name);
    }
    // Mode-specific metrics (the dual-publish comparison) are checked by the migration test.
    const missing = ALL_METRICS.filter((m) => !m.onlyWhen).flatMap((m) => exposedSeriesNames(m)).filter((n) => !exposed.has(n));
    expect(missing).toEqual([]);
    const http = (await scrape(stack.gateway.url)).filter((s) => s.name === `${HTTP_SERVER_DURATION_METRIC}_count`);
    expect(http.map((s) => s.labels.http_route)).toContain('/webhooks/buddy-events');
  });
});
