// The gateway's request path over real HTTP on loopback, publishing to a real nats-server: what is
// rejected before the body is read, rate limiting per client after authentication (the probe of
// issue 17: junk must not starve a signed sender), webhook-id = event id, the fault gauge and
// problem+json for admin errors.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buddyEnvelope } from '../../harness/load/event-factory.ts';
import { startInProcessGateway, startTestNats, type InProcessGateway, type TestNats } from '../../harness/stack/in-process-gateway.ts';
import { openRaw, postHead } from '../../harness/stack/raw-http.ts';
import { scrape, sumOf } from '../../harness/stack/scrape.ts';
import { parseSecrets, signatureHeaders } from '../signature/standard-webhooks.ts';
import { startTelemetry, stopTelemetry } from '../telemetry/sdk.ts';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const keys = parseSecrets(secret);
const adminToken = randomBytes(32).toString('hex');
const PER_MINUTE = 60;
let nats: TestNats;
let gateway: InProcessGateway;

type PostOptions = { client?: string; contentType?: string; sign?: boolean; id?: string; timestamp?: number; headers?: Record<string, string> };

/** POSTs an event, signed with webhook-id = its id unless told otherwise, from `client` (X-Forwarded-For). */
async function post(body: string, options: PostOptions = {}) {
  const id = options.id ?? (JSON.parse(body) as { id: string }).id;
  const signed = options.sign === false ? {} : signatureHeaders(keys, id, options.timestamp ?? Math.floor(Date.now() / 1000), body);
  const res = await fetch(gateway.webhookUrl, {
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/json', 'x-forwarded-for': options.client ?? 'sender', ...signed, ...options.headers },
    body,
  });
  return { status: res.status, type: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
}

async function streamMessages(): Promise<number> {
  return (await (await jetstreamManager(nats.nc)).streams.info('BUDDY_EVENTS')).state.messages;
}

beforeAll(async () => {
  await startTelemetry({ serviceName: 'gateway' });
  nats = await startTestNats(mkdtempSync(path.join(tmpdir(), 'gateway-app-')));
  gateway = await startInProcessGateway({
    nats,
    env: {
      WEBHOOK_SIGNATURE_SECRET: secret,
      WEBHOOK_RATE_LIMIT_ENABLED: 'true',
      WEBHOOK_RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
      WEBHOOK_TRUST_PROXY: 'true',
      GATEWAY_ADMIN_TOKEN: adminToken,
    },
  });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await nats?.stop();
  await stopTelemetry();
});

describe('rate limiting per client, after authentication', () => {
  it('lets a signed webhook through after 72 unauthenticated junk requests from the same client', async () => {
    const junk = [
      () => post(JSON.stringify(buddyEnvelope(1)), { sign: false }),
      () => post(JSON.stringify(buddyEnvelope(1)), { headers: { 'webhook-signature': `v1,${Buffer.alloc(32, 9).toString('base64')}` } }),
      () => post(JSON.stringify(buddyEnvelope(1)), { contentType: 'text/plain' }),
      () => post(JSON.stringify(buddyEnvelope(1)), { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
    ];
    const statuses = new Set<number>();
    for (let i = 0; i < 72; i++) statuses.add((await junk[i % junk.length]!()).status);
    expect([...statuses].sort()).toEqual([401, 415]);
    const real = await post(JSON.stringify(buddyEnvelope(2)));
    expect(real).toMatchObject({ status: 202, body: { status: 'accepted' } });
  });

  it('limits each client on its own, answering 429 with Retry-After', async () => {
    for (let i = 0; i < PER_MINUTE; i++) expect((await post(JSON.stringify(buddyEnvelope(i)), { client: 'greedy' })).status).toBe(202);
    const limited = await post(JSON.stringify(buddyEnvelope(0)), { client: 'greedy' });
    expect(limited).toMatchObject({ status: 429, type: expect.stringContaining('application/problem+json'), body: { reason: 'rate_limited' } });
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await post(JSON.stringify(buddyEnvelope(0)), { client: 'modest' })).status).toBe(202);
    const metrics = await scrape(gateway.url);
    expect(sumOf(metrics, 'webhook_gateway_events_received_total', { outcome: 'rate_limited' })).toBe(1);
  });
});

describe('the cheap path: rejected before the body is read', () => {
  it('answers a request without signature headers while its declared body has not been sent', async () => {
    const conn = await openRaw(gateway.url);
    try {
      conn.write(postHead(gateway.config.endpoint, { 'content-type': 'application/json', 'content-length': 20_000 }));
      const res = await conn.nextResponse(2000);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(JSON.parse(res.body)).toMatchObject({ reason: 'signature_missing' });
    } finally {
      conn.destroy();
    }
  });

  it('answers a declared body over the limit with 413 and closes the connection without reading it', async () => {
    const conn = await openRaw(gateway.url);
    const event = buddyEnvelope(3);
    conn.write(postHead(gateway.config.endpoint, { 'content-type': 'application/json', 'content-length': 10_000_000, ...signatureHeaders(keys, event.id, Math.floor(Date.now() / 1000), 'x') }));
    const res = await conn.nextResponse(2000);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ reason: 'payload_too_large' });
    expect(res.headers.connection).toBe('close');
    expect(await Promise.race([conn.closed, new Promise((r) => setTimeout(() => r('still open'), 2000))])).toEqual(expect.any(Number));
  });

  it('discards the unread body of a rejected request and keeps the connection for the next one', async () => {
    const conn = await openRaw(gateway.url);
    try {
      const body = JSON.stringify(buddyEnvelope(4));
      conn.write(postHead(gateway.config.endpoint, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }) + body);
      conn.write('GET /health/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      expect((await conn.nextResponse()).status).toBe(415);
      expect((await conn.nextResponse()).status).toBe(200);
      expect(conn.isClosed()).toBe(false);
    } finally {
      conn.destroy();
    }
  });
});

describe('webhook-id is the event id', () => {
  it('rejects a correctly signed webhook whose webhook-id names another event, with a reason, a metric and a log line', async () => {
    const event = buddyEnvelope(1);
    const before = await streamMessages();
    const metricsBefore = await scrape(gateway.url);
    const res = await post(JSON.stringify(event), { id: randomUUID(), client: 'replayer' });
    expect(res).toMatchObject({ status: 400, type: expect.stringContaining('application/problem+json'), body: { reason: 'webhook_id_mismatch' } });
    const labels = { outcome: 'invalid', reason: 'webhook_id_mismatch' };
    expect(sumOf(await scrape(gateway.url), 'webhook_gateway_events_received_total', labels) - sumOf(metricsBefore, 'webhook_gateway_events_received_total', labels)).toBe(1);
    expect(gateway.logLines.filter((l) => l.reason === 'webhook_id_mismatch' && l.event_id === event.id)).toHaveLength(1);
    expect(await streamMessages()).toBe(before);
  });
});

describe('drill faults and admin errors', () => {
  const admin = (method: string, body?: string, token = adminToken) =>
    fetch(`${gateway.url}/admin/faults`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
  const faultGauge = async () => Object.fromEntries((await scrape(gateway.url)).filter((s) => s.name === 'webhook_gateway_fault_active').map((s) => [s.labels.fault, s.value]));

  it('shows each active fault as a gauge at its setting, and 0 once cleared', async () => {
    expect(await faultGauge()).toEqual({ errorRate: 0, rejectRate: 0, delayMs: 0 });
    expect((await admin('PUT', JSON.stringify({ rejectRate: 0.25, delayMs: 5 }))).status).toBe(200);
    expect(await faultGauge()).toEqual({ errorRate: 0, rejectRate: 0.25, delayMs: 5 });
    expect((await admin('DELETE')).status).toBe(200);
    expect(await faultGauge()).toEqual({ errorRate: 0, rejectRate: 0, delayMs: 0 });
  });

  it('shows that signatures are checked', async () => {
    expect(sumOf(await scrape(gateway.url), 'webhook_gateway_signature_validation_enabled')).toBe(1);
  });

  it('answers bad JSON to /admin/faults with problem+json, not an HTML stack trace, counted and logged', async () => {
    const res = await admin('PUT', '{"errorRate": 1,');
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.parse(text)).toMatchObject({ reason: 'malformed_json', status: 400 });
    expect(text).not.toMatch(/<html|<pre>|at \w+ \(/i);
    expect((await admin('PUT', '{}', 'wrong')).status).toBe(401);
    const metrics = await scrape(gateway.url);
    expect(sumOf(metrics, 'webhook_gateway_admin_requests_rejected_total', { reason: 'malformed_json' })).toBe(1);
    expect(sumOf(metrics, 'webhook_gateway_admin_requests_rejected_total', { reason: 'admin_unauthorized' })).toBe(1);
    expect(gateway.logLines.filter((l) => l.reason === 'malformed_json' && l.msg === 'admin request rejected')).toHaveLength(1);
  });
});
