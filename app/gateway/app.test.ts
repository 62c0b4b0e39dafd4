// The gateway's request path in-process: createApp over real HTTP on loopback, writing to an in-memory
// bus writer. Every way bad input is turned away (status, problem+json, metric and log line with the
// same reason, nothing written to the bus), rate limiting per client after authentication (the probe
// of issue 17: junk must not starve a signed sender), what is rejected before the body is read, bus
// failures, drill faults and problem+json for admin errors. NATS itself is the end-to-end tests' job.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buddyEnvelope } from '../../harness/load/event-factory.ts';
import { createInMemoryBusWriter, type InProcessGateway, startInProcessGateway } from '../../harness/stack/in-process-gateway.ts';
import { openRaw, postHead } from '../../harness/stack/raw-http.ts';
import { type Sample, scrape, sumOf } from '../../harness/stack/scrape.ts';
import { parseSecrets, signatureHeaders } from '../signature/standard-webhooks.ts';
import { HTTP_SERVER_DURATION_METRIC } from '../telemetry/metric-catalog.ts';
import { startTelemetry, stopTelemetry } from '../telemetry/sdk.ts';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const keys = parseSecrets(secret);
const adminToken = randomBytes(32).toString('hex');
const PER_MINUTE = 60;
const bus = createInMemoryBusWriter();
let gateway: InProcessGateway;

type PostOptions = {
  client?: string;
  contentType?: string;
  sign?: boolean;
  id?: string;
  timestamp?: number;
  headers?: Record<string, string>;
};

function eventIdOf(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** POSTs a body, signed with webhook-id = its event id unless told otherwise, from `client` (X-Forwarded-For). */
async function post(body: string, options: PostOptions = {}) {
  const id = options.id ?? eventIdOf(body) ?? randomUUID();
  const signed = options.sign === false ? {} : signatureHeaders(keys, id, options.timestamp ?? Math.floor(Date.now() / 1000), body);
  const res = await fetch(gateway.webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'x-forwarded-for': options.client ?? 'sender',
      ...signed,
      ...options.headers,
    },
    body,
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

/** How much a counter grew between two scrapes. */
const grew = (before: Sample[], after: Sample[], name: string, labels: Record<string, string>) =>
  sumOf(after, name, labels) - sumOf(before, name, labels);

beforeAll(async () => {
  await startTelemetry({ serviceName: 'gateway' });
  gateway = await startInProcessGateway({
    busWriter: bus,
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
  await stopTelemetry();
});

afterEach(() => bus.failWith(null));

describe('accepted events', () => {
  it("answers 202 only with what the bus writer acknowledged, the signed bytes as sent, and the sender's trace", async () => {
    const event = buddyEnvelope(1);
    const body = JSON.stringify(event);
    const traceId = randomBytes(16).toString('hex');
    const res = await post(body, { headers: { traceparent: `00-${traceId}-${'ab'.repeat(8)}-01` } });
    const written = bus.written.at(-1)!;
    expect(res).toMatchObject({ status: 202, body: { id: event.id, status: 'accepted', duplicate: false, sequence: written.sequence } });
    expect(written.body.toString()).toBe(body);
    expect(written.traceHeaders.traceparent).toContain(traceId);
    expect(
      gateway.logLines.filter((l) => l.msg === 'webhook accepted' && l.event_id === event.id && l.event_type === event.type),
    ).toHaveLength(1);
  });

  it('flags a repeat as a duplicate and writes it once', async () => {
    const body = JSON.stringify(buddyEnvelope(2));
    const before = await scrape(gateway.url);
    const first = await post(body);
    const second = await post(body);
    expect(first.body).toMatchObject({ duplicate: false });
    expect(second).toMatchObject({ status: 202, body: { duplicate: true, sequence: first.body.sequence } });
    expect(bus.written.filter((w) => w.body.toString() === body)).toHaveLength(1);
    expect(grew(before, await scrape(gateway.url), 'webhook_gateway_events_received_total', { outcome: 'duplicate' })).toBe(1);
  });
});

describe('bad input is rejected with its status, reason, metric and log line, and nothing is written to the bus', () => {
  const valid = () => buddyEnvelope(3);
  const oversized = JSON.stringify({ ...valid(), data: { ...valid().data, comment: 'x'.repeat(300 * 1024) } });
  const protoBody = `{"__proto__":{"admin":true},${JSON.stringify(valid()).slice(1)}`;
  const hourAgo = () => Math.floor(Date.now() / 1000) - 3600;

  type Case = {
    name: string;
    send: (client: string) => ReturnType<typeof post>;
    status: number;
    reason: string;
    outcome: string;
    signatureReason?: string;
    errorPath?: string;
  };
  const cases: Case[] = [
    { name: 'malformed JSON', send: (client) => post('{"id": ', { client }), status: 400, reason: 'malformed_json', outcome: 'invalid' },
    {
      name: 'wrong content type',
      send: (client) => post(JSON.stringify(valid()), { client, contentType: 'text/plain' }),
      status: 415,
      reason: 'unsupported_media_type',
      outcome: 'invalid',
    },
    { name: 'oversized body', send: (client) => post(oversized, { client }), status: 413, reason: 'payload_too_large', outcome: 'invalid' },
    {
      name: 'missing field',
      send: (client) => post(JSON.stringify({ ...valid(), source: undefined }), { client }),
      status: 422,
      reason: 'schema_invalid',
      outcome: 'invalid',
      errorPath: '/source',
    },
    {
      name: 'extra field',
      send: (client) => post(JSON.stringify({ ...valid(), admin: true }), { client }),
      status: 422,
      reason: 'schema_invalid',
      outcome: 'invalid',
      errorPath: '/',
    },
    {
      name: 'missing data field',
      send: (client) => post(JSON.stringify({ ...valid(), data: { ...valid().data, rating: undefined } }), { client }),
      status: 422,
      reason: 'schema_invalid',
      outcome: 'invalid',
      errorPath: '/data/rating',
    },
    {
      name: 'unknown type',
      send: (client) => post(JSON.stringify({ ...valid(), type: 'buddy.unknown.happened' }), { client }),
      status: 422,
      reason: 'unknown_event_type',
      outcome: 'invalid',
      errorPath: '/type',
    },
    {
      name: 'unknown version',
      send: (client) => post(JSON.stringify({ ...valid(), version: 99 }), { client }),
      status: 422,
      reason: 'unknown_event_version',
      outcome: 'invalid',
      errorPath: '/version',
    },
    {
      name: 'bad UUID',
      send: (client) => post(JSON.stringify({ ...valid(), id: '1234' }), { client }),
      status: 422,
      reason: 'schema_invalid',
      outcome: 'invalid',
      errorPath: '/id',
    },
    {
      name: '__proto__ key',
      send: (client) => post(protoBody, { client }),
      status: 422,
      reason: 'schema_invalid',
      outcome: 'invalid',
      errorPath: '/',
    },
    {
      name: 'missing signature',
      send: (client) => post(JSON.stringify(valid()), { client, sign: false }),
      status: 401,
      reason: 'signature_missing',
      outcome: 'unauthorized',
      signatureReason: 'missing',
    },
    {
      name: 'malformed signature',
      send: (client) => post(JSON.stringify(valid()), { client, headers: { 'webhook-signature': 'v1,@@not-base64@@' } }),
      status: 401,
      reason: 'signature_malformed',
      outcome: 'unauthorized',
      signatureReason: 'malformed',
    },
    {
      name: 'wrong signature',
      send: (client) =>
        post(JSON.stringify(valid()), { client, headers: { 'webhook-signature': `v1,${Buffer.alloc(32, 7).toString('base64')}` } }),
      status: 401,
      reason: 'signature_mismatch',
      outcome: 'unauthorized',
      signatureReason: 'mismatch',
    },
    {
      name: 'expired signature',
      send: (client) => post(JSON.stringify(valid()), { client, timestamp: hourAgo() }),
      status: 401,
      reason: 'signature_expired',
      outcome: 'unauthorized',
      signatureReason: 'expired',
    },
    {
      name: 'webhook-id of another event',
      send: (client) => post(JSON.stringify(valid()), { client, id: randomUUID() }),
      status: 400,
      reason: 'webhook_id_mismatch',
      outcome: 'invalid',
    },
  ];

  it.each(cases)('$name → $status $reason', async (c) => {
    const writtenBefore = bus.written.length;
    const logsBefore = gateway.logLines.length;
    const before = await scrape(gateway.url);
    // A client of its own: the authenticated cases draw on the rate limit.
    const res = await c.send(c.name);
    expect(res.status).toBe(c.status);
    expect(res.type).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: c.status, reason: c.reason, type: `urn:webhook-event-bus:problem:${c.reason}` });
    if (c.errorPath) expect((res.body.errors as { path: string }[]).map((e) => e.path)).toContain(c.errorPath);
    const after = await scrape(gateway.url);
    expect(grew(before, after, 'webhook_gateway_events_received_total', { outcome: c.outcome, reason: c.reason })).toBe(1);
    if (c.signatureReason) expect(grew(before, after, 'webhook_gateway_signature_failures_total', { reason: c.signatureReason })).toBe(1);
    const lines = gateway.logLines.slice(logsBefore).filter((l) => l.msg === 'webhook rejected');
    expect(lines).toEqual([expect.objectContaining({ reason: c.reason, outcome: c.outcome, status: c.status })]);
    expect(bus.written.length).toBe(writtenBefore);
  });

  it('logs a webhook-id mismatch under the event it names, and a malformed body by its size, never its text', async () => {
    const event = buddyEnvelope(1);
    await post(JSON.stringify(event), { id: randomUUID(), client: 'replayer' });
    expect(
      gateway.logLines.filter((l) => l.reason === 'webhook_id_mismatch' && l.event_id === event.id && l.event_type === event.type),
    ).toHaveLength(1);
    const logsBefore = gateway.logLines.length;
    const body = '{"notes": "PERSONAL-DETAIL of a participant", oops}';
    const res = await post(body, { client: 'careless' });
    expect(JSON.stringify(res.body)).not.toContain('PERSONAL');
    const logged = gateway.logLines.slice(logsBefore);
    expect(logged).toEqual([
      expect.objectContaining({ reason: 'malformed_json', body_bytes: body.length, json_error_position: body.indexOf('oops') }),
    ]);
    expect(JSON.stringify(logged)).not.toContain('PERSONAL');
  });
});

describe('rate limiting per client, after authentication', () => {
  it('lets a signed webhook through after more unauthenticated junk than its limit from the same client', async () => {
    const wrongSignature = () =>
      post(JSON.stringify(buddyEnvelope(1)), {
        client: 'shared',
        headers: { 'webhook-signature': `v1,${Buffer.alloc(32, 9).toString('base64')}` },
      });
    const refusedByHeaders = [
      () => post(JSON.stringify(buddyEnvelope(1)), { client: 'shared', sign: false }),
      () => post(JSON.stringify(buddyEnvelope(1)), { client: 'shared', contentType: 'text/plain' }),
      () => post(JSON.stringify(buddyEnvelope(1)), { client: 'shared', timestamp: Math.floor(Date.now() / 1000) - 3600 }),
    ];
    const statuses = new Set<number>();
    // A wrong signature is read and verified before it is refused: more of them than the limit.
    for (let i = 0; i <= PER_MINUTE; i++) statuses.add((await wrongSignature()).status);
    for (let i = 0; i < 12; i++) statuses.add((await refusedByHeaders[i % refusedByHeaders.length]!()).status);
    expect([...statuses].sort()).toEqual([401, 415]);
    const real = await post(JSON.stringify(buddyEnvelope(2)), { client: 'shared' });
    expect(real).toMatchObject({ status: 202, body: { status: 'accepted' } });
  });

  it('limits each client on its own, answering 429 with Retry-After', async () => {
    const before = await scrape(gateway.url);
    for (let i = 0; i < PER_MINUTE; i++) expect((await post(JSON.stringify(buddyEnvelope(i)), { client: 'greedy' })).status).toBe(202);
    const limited = await post(JSON.stringify(buddyEnvelope(0)), { client: 'greedy' });
    expect(limited).toMatchObject({
      status: 429,
      type: expect.stringContaining('application/problem+json'),
      body: { reason: 'rate_limited' },
    });
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await post(JSON.stringify(buddyEnvelope(0)), { client: 'modest' })).status).toBe(202);
    expect(grew(before, await scrape(gateway.url), 'webhook_gateway_events_received_total', { outcome: 'rate_limited' })).toBe(1);
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
    conn.write(
      postHead(gateway.config.endpoint, {
        'content-type': 'application/json',
        'content-length': 10_000_000,
        ...signatureHeaders(keys, event.id, Math.floor(Date.now() / 1000), 'x'),
      }),
    );
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

describe('when the bus fails', () => {
  it('answers 503 with Retry-After and the bus reason, counted and logged with it, and /health/all is 503', async () => {
    bus.failWith('timeout');
    const event = buddyEnvelope(5);
    const before = await scrape(gateway.url);
    const res = await post(JSON.stringify(event), { client: 'during-outage' });
    expect(res).toMatchObject({ status: 503, retryAfter: '5', body: { reason: 'bus_unavailable', busReason: 'timeout' } });
    const after = await scrape(gateway.url);
    expect(grew(before, after, 'webhook_gateway_errors_total', { reason: 'bus_unavailable' })).toBe(1);
    expect(grew(before, after, 'webhook_gateway_bus_publish_errors_total', { reason: 'timeout' })).toBe(1);
    expect(
      grew(before, after, 'webhook_gateway_events_received_total', {
        outcome: 'unavailable',
        reason: 'bus_unavailable',
        event_type: event.type,
      }),
    ).toBe(1);
    expect(
      gateway.logLines.filter((l) => l.msg === 'publish to JetStream failed' && l.event_id === event.id && l.bus_reason === 'timeout'),
    ).toHaveLength(1);
    expect(
      gateway.logLines.filter((l) => l.msg === 'webhook failed' && l.event_id === event.id && l.reason === 'bus_unavailable'),
    ).toHaveLength(1);
    const health = await fetch(`${gateway.url}/health/all`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'degraded', checks: { nats: { ok: false } } });
  });

  it('answers a bug with 500 internal, a retryable failure to the sender', async () => {
    bus.failWith(new TypeError('a bug in the bus writer'));
    const before = await scrape(gateway.url);
    const res = await post(JSON.stringify(buddyEnvelope(6)), { client: 'during-bug' });
    expect(res).toMatchObject({ status: 500, body: { reason: 'internal' } });
    expect(grew(before, await scrape(gateway.url), 'webhook_gateway_errors_total', { reason: 'internal' })).toBe(1);
    expect(gateway.logLines.filter((l) => l.msg === 'unexpected gateway error')).toHaveLength(1);
  });
});

describe('drill faults and admin errors', () => {
  const admin = (method: string, body?: string, token = adminToken) =>
    fetch(`${gateway.url}/admin/faults`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
  const faultGauge = async () =>
    Object.fromEntries(
      (await scrape(gateway.url)).filter((s) => s.name === 'webhook_gateway_fault_active').map((s) => [s.labels.fault, s.value]),
    );

  it('fails, rejects or delays valid webhooks on request, and counts them as real', async () => {
    const postValid = () => post(JSON.stringify(buddyEnvelope(2)), { client: 'drill' });
    const before = await scrape(gateway.url);
    try {
      expect((await admin('PUT', JSON.stringify({ errorRate: 1 }), 'wrong')).status).toBe(401);
      expect((await admin('PUT', JSON.stringify({ errorRate: 2 }))).status).toBe(422);
      expect((await admin('PUT', JSON.stringify({ errorRate: 1 }))).status).toBe(200);
      expect(await postValid()).toMatchObject({ status: 500, body: { reason: 'injected_fault' } });
      expect((await admin('PUT', JSON.stringify({ rejectRate: 1 }))).status).toBe(200);
      expect(await postValid()).toMatchObject({ status: 422, body: { reason: 'injected_rejection' } });
      expect((await admin('PUT', JSON.stringify({ delayMs: 100 }))).status).toBe(200);
      const started = performance.now();
      expect((await postValid()).status).toBe(202);
      expect(performance.now() - started).toBeGreaterThanOrEqual(100);
      const after = await scrape(gateway.url);
      expect(grew(before, after, 'webhook_gateway_errors_total', { reason: 'injected_fault' })).toBe(1);
      expect(grew(before, after, 'webhook_gateway_events_received_total', { outcome: 'invalid', reason: 'injected_rejection' })).toBe(1);
    } finally {
      expect((await admin('DELETE')).status).toBe(200);
    }
    expect((await postValid()).status).toBe(202);
  });

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
    const before = await scrape(gateway.url);
    const logsBefore = gateway.logLines.length;
    const res = await admin('PUT', '{"errorRate": 1,');
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.parse(text)).toMatchObject({ reason: 'malformed_json', status: 400 });
    expect(text).not.toMatch(/<html|<pre>|at \w+ \(/i);
    expect((await admin('PUT', '{}', 'wrong')).status).toBe(401);
    const after = await scrape(gateway.url);
    expect(grew(before, after, 'webhook_gateway_admin_requests_rejected_total', { reason: 'malformed_json' })).toBe(1);
    expect(grew(before, after, 'webhook_gateway_admin_requests_rejected_total', { reason: 'admin_unauthorized' })).toBe(1);
    expect(
      gateway.logLines.slice(logsBefore).filter((l) => l.reason === 'malformed_json' && l.msg === 'admin request rejected'),
    ).toHaveLength(1);
  });
});

// POST to the endpoint is served without Express (app/http/plain-route.ts); the rest stays Express.
describe('the webhook route, served outside Express, as Express routed it', () => {
  it('accepts a query string, a trailing slash and another case, and names the request path as instance', async () => {
    const body = JSON.stringify(buddyEnvelope(1));
    const { id } = JSON.parse(body) as { id: string };
    for (const suffix of ['?source=test', '/']) {
      const res = await fetch(`${gateway.webhookUrl}${suffix}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': `route-${suffix}`,
          ...signatureHeaders(keys, id, Math.floor(Date.now() / 1000), body),
        },
        body,
      });
      expect(res.status, suffix).toBe(202);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    }
    const upper = await fetch(`${gateway.url}${gateway.config.endpoint.toUpperCase()}?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(upper.status).toBe(415);
    expect(upper.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await upper.json()).toMatchObject({
      reason: 'unsupported_media_type',
      instance: `${gateway.config.endpoint.toUpperCase()}?x=1`,
    });
  });

  it('leaves other methods on the endpoint to Express: 405 with Allow', async () => {
    const res = await fetch(gateway.webhookUrl, { method: 'PUT', body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.json()).toMatchObject({ reason: 'method_not_allowed', instance: gateway.config.endpoint });
  });

  it('records http.server.request.duration under the endpoint as http.route', async () => {
    const count = async () =>
      sumOf(await scrape(gateway.url), `${HTTP_SERVER_DURATION_METRIC}_count`, {
        http_route: gateway.config.endpoint,
        http_request_method: 'POST',
        http_response_status_code: '415',
      });
    const before = await count();
    await post('{}', { contentType: 'text/plain' });
    await expect.poll(count).toBe(before + 1);
  });
});
