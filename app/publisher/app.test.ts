// The publisher service's own HTTP surface, as a real process: the event API's bearer token (read
// from PUBLISHER_API_TOKEN_FILE), problem+json for admin errors, and the refusal of weak tokens.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSecret, tempDir } from '../../harness/integration/support.ts';
import { buddyEvent } from '../../harness/load/event-factory.ts';
import { createEvent } from '../../harness/load/publisher-client.ts';
import { scrape, sumOf } from '../../harness/stack/scrape.ts';
import { startService, type Service } from '../../harness/stack/service.ts';
import { randomToken } from '../../harness/stack/token-file.ts';
import { PROBLEM_CONTENT_TYPE } from '../http/problem-details.ts';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../gateway/config.ts';
import { TRANSPORT_MODES, TRANSPORT_PATHS } from './transport.ts';

const apiToken = randomToken();
const adminToken = randomToken();
let dir: string;
let publisher: Service;

const baseEnv = () => ({
  // Delivery off: these tests are about the API, and nothing listens at that URL.
  CSR_WEBHOOK_URL: `http://127.0.0.1:9${DEFAULT_WEBHOOK_ENDPOINT}`,
  CSR_WEBHOOK_ENABLED: 'false',
  CSR_WEBHOOK_SECRET: newSecret(),
  PUBLISHER_OUTBOX_PATH: path.join(dir, 'outbox.sqlite'),
});
const depth = async () => ((await (await fetch(`${publisher.url}/health`)).json()) as { outbox: { depth: number } }).outbox.depth;
const postEvent = (headers: Record<string, string>) =>
  fetch(`${publisher.url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(buddyEvent(1)),
  });

beforeAll(async () => {
  dir = tempDir('publisher-app');
  const tokenFile = path.join(dir, 'api-token');
  writeFileSync(tokenFile, `${apiToken}\n`, { mode: 0o600 });
  publisher = await startService('publisher', {
    logDir: dir,
    env: { ...baseEnv(), PUBLISHER_API_TOKEN_FILE: tokenFile, PUBLISHER_ADMIN_TOKEN: adminToken },
  });
  publisher.apiToken = apiToken;
});

afterAll(async () => {
  await publisher?.stop();
});

describe('the event API with PUBLISHER_API_TOKEN', () => {
  it('answers 401 problem+json without the token, counts and logs it, and queues nothing', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${randomToken()}` },
      { authorization: `Bearer ${adminToken}` },
      { authorization: apiToken },
    ];
    for (const headers of attempts) {
      const res = await postEvent(headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toMatchObject({ status: 401, reason: 'api_unauthorized' });
    }
    expect(await depth()).toBe(0);
    expect(sumOf(await scrape(publisher.url), 'webhook_publisher_requests_rejected_total', { reason: 'api_unauthorized' })).toBe(4);
    expect(readFileSync(publisher.logFile, 'utf8')).toContain('"reason":"api_unauthorized"');
  });

  it('accepts the event from a client that sends the token', async () => {
    const result = await createEvent(publisher, buddyEvent(2));
    expect(result).toMatchObject({ ok: true, status: 202 });
    expect(await depth()).toBe(1);
    // The same client without it is refused: the token is what made the difference.
    expect(await createEvent(publisher.url, buddyEvent(3))).toMatchObject({ ok: false, status: 401 });
  });
});

describe('the admin API', () => {
  it('answers malformed JSON with problem+json, not an HTML stack trace, and replays nothing', async () => {
    const res = await fetch(`${publisher.url}/admin/dead-letters/replay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: '{"ids": [',
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
    expect(JSON.parse(text)).toMatchObject({ status: 400, reason: 'malformed_json' });
    expect(text).not.toMatch(/<html|<pre>|\bat \S+ \(/i);
    expect(sumOf(await scrape(publisher.url), 'webhook_publisher_requests_rejected_total', { reason: 'malformed_json' })).toBe(1);
  });

  it('refuses the API token: the two credentials are not interchangeable', async () => {
    const res = await fetch(`${publisher.url}/admin/dead-letters`, { headers: { authorization: `Bearer ${apiToken}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ reason: 'admin_unauthorized' });
  });
});

// POST /events is served without Express (app/http/plain-route.ts): the answers express.json() gave.
describe('POST /events answers', () => {
  const send = (body: string, headers: Record<string, string> = {}, query = '') =>
    fetch(`${publisher.url}/events${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json', ...headers },
      body,
    });
  const cases: { name: string; body: string; headers?: Record<string, string>; status: number; answer: Record<string, unknown> }[] = [
    {
      name: 'malformed JSON, described by size and position',
      body: '{"type": PERSONAL',
      status: 400,
      answer: { reason: 'malformed_json', detail: 'The body (17 bytes) is not valid JSON: it stops being JSON at character 9.' },
    },
    {
      name: 'no JSON content type',
      body: '{}',
      headers: { 'content-type': 'text/plain' },
      status: 415,
      answer: { reason: 'unsupported_media_type' },
    },
    {
      name: 'a body over 256 kB',
      body: JSON.stringify({ data: 'x'.repeat(256 * 1024) }),
      status: 413,
      answer: { reason: 'payload_too_large' },
    },
    { name: 'an empty body, read as {}', body: '', status: 422, answer: { reason: 'schema_invalid' } },
    {
      name: 'a field the API does not know',
      body: JSON.stringify({ ...buddyEvent(9), extra: 1 }),
      status: 422,
      answer: { reason: 'schema_invalid' },
    },
  ];
  it.each(cases)('$name: $status', async ({ body, headers, status, answer }) => {
    const before = sumOf(await scrape(publisher.url), 'webhook_publisher_requests_rejected_total', { reason: answer.reason as string });
    const res = await send(body, headers, '?from=test');
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe(`${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
    expect(await res.json()).toMatchObject({ status, ...answer, instance: '/events?from=test' });
    const after = sumOf(await scrape(publisher.url), 'webhook_publisher_requests_rejected_total', { reason: answer.reason as string });
    expect(after - before).toBe(1);
  });

  it('queues an event sent to /events with a query string', async () => {
    const res = await send(JSON.stringify(buddyEvent(10)), {}, '?from=test');
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toMatchObject({ status: 'queued', duplicate: false });
  });
});

describe('transport mode and path in the metrics', () => {
  it('labels a mode `mode` and a path `path`, on every publisher metric and in /health', async () => {
    const samples = (await scrape(publisher.url)).filter((s) => s.name.startsWith('webhook_publisher_'));
    const values = (label: string, names: string[]) =>
      new Set(samples.filter((s) => names.some((n) => s.name.startsWith(n))).map((s) => s.labels[label]));
    // "transport" once named the mode on one metric and the path on the next; no label is called that now.
    expect(samples.filter((s) => 'transport' in s.labels).map((s) => s.name)).toEqual([]);
    expect(values('mode', ['webhook_publisher_transport', 'webhook_publisher_events_total'])).toEqual(new Set(TRANSPORT_MODES));
    const byPath = ['webhook_publisher_circuit_open', 'webhook_publisher_delivery_errors_total', 'webhook_publisher_retries_total'];
    expect(values('path', byPath)).toEqual(new Set(TRANSPORT_PATHS));
    expect(sumOf(samples, 'webhook_publisher_transport', { mode: 'webhook' })).toBe(1);
    const health = (await (await fetch(`${publisher.url}/health`)).json()) as { mode: string; circuits: Record<string, string> };
    expect(health).toMatchObject({ mode: 'webhook', circuits: { webhook: 'closed', nats: 'closed' } });
  });
});

describe('more events waiting for the outbox than PUBLISHER_API_MAX_WAITING', () => {
  it('answers the excess 503 overloaded with Retry-After, counts it, logs it once per episode, and keeps every 202', async () => {
    const name = 'publisher-overloaded';
    const small = await startService('publisher', {
      logDir: dir,
      name,
      env: { ...baseEnv(), PUBLISHER_OUTBOX_PATH: path.join(dir, `${name}.sqlite`), PUBLISHER_API_MAX_WAITING: '2' },
    });
    try {
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          fetch(`${small.url}/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(buddyEvent(i)),
          }).then(async (res) => ({
            status: res.status,
            retryAfter: res.headers.get('retry-after'),
            type: res.headers.get('content-type'),
            body: (await res.json()) as { reason?: string },
          })),
        ),
      );
      const refused = answers.filter((a) => a.status === 503);
      const accepted = answers.filter((a) => a.status === 202);
      expect(refused.length).toBeGreaterThan(0);
      expect(accepted.length + refused.length).toBe(answers.length);
      for (const a of refused) {
        expect(a).toMatchObject({ retryAfter: '1', body: { reason: 'overloaded' } });
        expect(a.type).toContain(PROBLEM_CONTENT_TYPE);
      }
      const health = async () => ((await (await fetch(`${small.url}/health`)).json()) as { outbox: { depth: number } }).outbox.depth;
      expect(await health()).toBe(accepted.length);
      const metrics = await scrape(small.url);
      expect(sumOf(metrics, 'webhook_publisher_requests_rejected_total', { reason: 'overloaded' })).toBe(refused.length);
      const logged = readFileSync(small.logFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('events refused while the outbox catches up'));
      expect(logged.length).toBeGreaterThanOrEqual(1);
      expect(logged.length).toBeLessThan(refused.length);
      // The wait is over once the answers are out: the next event is taken.
      const next = await fetch(`${small.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(buddyEvent(1000)),
      });
      expect(next.status).toBe(202);
    } finally {
      await small.stop();
    }
  });
});

describe('start-up', () => {
  it.each([
    ['the published demo token', { PUBLISHER_ADMIN_TOKEN: 'demo-admin-token' }],
    ['a short admin token', { PUBLISHER_ADMIN_TOKEN: 'x'.repeat(31) }],
    ['a short API token', { PUBLISHER_API_TOKEN: 'short' }],
  ])('stops with exit code 78 on %s', async (what, env) => {
    const name = `publisher-refused-${what.replace(/\W+/g, '-')}`;
    const started = startService('publisher', {
      logDir: dir,
      name,
      env: { ...baseEnv(), PUBLISHER_OUTBOX_PATH: path.join(dir, `${name}.sqlite`), ...env },
    });
    await expect(started).rejects.toThrow(/exited with 78/);
    expect(readFileSync(path.join(dir, `${name}.log`), 'utf8')).toContain(`${Object.keys(env)[0]}: `);
  });
});
