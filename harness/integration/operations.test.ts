// What operators touch: dead-letter inspection and replay (HTTP and CLI), health, rate limiting,
// graceful shutdown, and trace export over OTLP.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buddyEnvelope, buddyEvent } from '../load/event-factory.ts';
import { createEvent } from '../load/publisher-client.ts';
import { scrape, sumOf } from '../stack/scrape.ts';
import { REPO_ROOT, serviceCommand, startService } from '../stack/service.ts';
import { startStack, type Stack } from '../stack/stack.ts';
import { randomToken } from '../stack/token-file.ts';
import { parseSecrets, signatureHeaders } from '../../app/signature/standard-webhooks.ts';
import { waitFor } from '../stack/wait.ts';
import { tempDir, waitForAllDelivered } from './support.ts';

const ADMIN_TOKEN = randomToken();
const DRILL_TOKEN = randomToken();
let stack: Stack;
let otlp: Server;
const otlpBodies: { path: string; body: Buffer }[] = [];

async function health() {
  return (await (await fetch(`${stack.publisher.url}/health`)).json()) as { outbox: { depth: number }; deadLetter: { depth: number }; lastDelivery: { outcome: string; status: number | null } | null };
}

/** POSTs a webhook to `gatewayUrl` signed as the stack's publisher signs it: webhook-id is the event id. */
function postSigned(gatewayUrl: string, event: { id: string }) {
  const body = JSON.stringify(event);
  const signed = signatureHeaders(parseSecrets(stack.signingSecret), event.id, Math.floor(Date.now() / 1000), body);
  return fetch(`${gatewayUrl}/webhooks/buddy-events`, { method: 'POST', headers: { 'content-type': 'application/json', ...signed }, body });
}

function admin(pathname: string, init: RequestInit = {}, token: string | null = ADMIN_TOKEN) {
  return fetch(`${stack.publisher.url}/admin${pathname}`, { ...init, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

beforeAll(async () => {
  // A minimal OTLP/HTTP receiver: records what the services export.
  otlp = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      otlpBodies.push({ path: req.url ?? '', body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => otlp.listen(0, '127.0.0.1', () => r()));
  const otlpEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(otlp.address() as { port: number }).port}`, OTEL_BSP_SCHEDULE_DELAY: '200' };
  stack = await startStack({
    dir: tempDir('ops'),
    // No retries: a dead gateway dead-letters at once, which is what these tests need.
    publisherEnv: { CSR_WEBHOOK_RETRY_ATTEMPTS: '0', PUBLISHER_ADMIN_TOKEN: ADMIN_TOKEN, ...otlpEnv },
    gatewayEnv: otlpEnv,
    consumerEnv: otlpEnv,
  });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  otlp?.close();
});

describe('dead letters', () => {
  const ids: string[] = [];

  it('dead-letters events the gateway cannot take, and reports them in /health and metrics', async () => {
    await stack.gateway.kill();
    for (let i = 0; i < 4; i++) {
      const result = await createEvent(stack.publisher.url, buddyEvent(i));
      expect(result.ok).toBe(true);
      ids.push(result.id);
    }
    await waitFor('4 dead letters', async () => (await health()).deadLetter.depth === 4);
    const h = await health();
    expect(h.outbox.depth).toBe(0);
    expect(h.lastDelivery).toMatchObject({ outcome: 'dead_lettered', status: null });
    const metrics = await scrape(stack.publisher.url);
    expect(sumOf(metrics, 'webhook_publisher_dead_letter_depth')).toBe(4);
    expect(sumOf(metrics, 'webhook_publisher_events_total', { outcome: 'dead_lettered' })).toBe(4);
  });

  it('protects the admin API with the token', async () => {
    expect((await admin('/dead-letters', {}, null)).status).toBe(401);
    expect((await admin('/dead-letters', {}, 'wrong')).status).toBe(401);
    const list = (await (await admin('/dead-letters')).json()) as { depth: number; items: { id: string; reason: string; attempts: number }[] };
    expect(list.depth).toBe(4);
    expect(list.items.map((i) => i.id).sort()).toEqual([...ids].sort());
    expect(list.items[0]).toMatchObject({ reason: 'exhausted:connection', attempts: 1 });
    const one = (await (await admin(`/dead-letters/${ids[0]}`)).json()) as { event: { id: string } };
    expect(one.event.id).toBe(ids[0]);
    expect((await admin('/dead-letters/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('lists, shows and replays one event from the CLI, and the rest over HTTP; each arrives under its original id', async () => {
    await stack.gateway.start();
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'app/publisher/dead-letter-cli.ts'), ...args, '--outbox', stack.outboxPath], { cwd: REPO_ROOT });
    expect((await cli('list')).stdout).toContain('4 dead letter(s)');
    expect(JSON.parse((await cli('show', ids[0]!)).stdout)).toMatchObject({ id: ids[0], body: { id: ids[0] } });
    expect(JSON.parse((await cli('replay', ids[0]!, '--json')).stdout)).toEqual({ replayed: [ids[0]], missing: [] });
    await expect(cli('replay', 'no-such-id')).rejects.toMatchObject({ code: 1 });
    await waitForAllDelivered(stack.consumerDbPath, new Set([ids[0]!]));

    const replayed = (await (await admin('/dead-letters/replay', { method: 'POST' })).json()) as { replayed: string[] };
    expect(replayed.replayed.sort()).toEqual(ids.slice(1).sort());
    const counts = await waitForAllDelivered(stack.consumerDbPath, new Set(ids));
    for (const c of counts) expect(c).toMatchObject({ lost: [], duplicated: [] });
    expect((await health()).deadLetter.depth).toBe(0);
    expect((await health()).lastDelivery).toMatchObject({ outcome: 'delivered', status: 202 });
  });
});

describe('gateway operations', () => {
  it('reports NATS health on /health/all, and 503 when it is down', async () => {
    expect(await (await fetch(`${stack.gateway.url}/health/webhook`)).json()).toMatchObject({ status: 'ok' });
    const ok = await fetch(`${stack.gateway.url}/health/all`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'ok', checks: { nats: { ok: true } } });
    await stack.nats.stop();
    try {
      await waitFor('gateway to report degraded', async () => (await fetch(`${stack.gateway.url}/health/all`)).status === 503, { timeoutMs: 15_000 });
      const degraded = await fetch(`${stack.gateway.url}/health/all`);
      expect(await degraded.json()).toMatchObject({ status: 'degraded', checks: { nats: { ok: false } } });
      expect((await fetch(`${stack.gateway.url}/health/webhook`)).status).toBe(200);
    } finally {
      await stack.nats.start();
    }
    await waitFor('gateway healthy again', async () => (await fetch(`${stack.gateway.url}/health/all`)).status === 200, { timeoutMs: 15_000 });
  });

  it('answers 429 with Retry-After over the rate limit, and shuts down cleanly on SIGTERM', async () => {
    const limited = await startService('gateway', {
      name: 'gateway-limited',
      logDir: path.join(stack.dir, 'logs'),
      env: { ...stack.natsEnv('gateway'), WEBHOOK_SIGNATURE_SECRET: stack.signingSecret, WEBHOOK_RATE_LIMIT_ENABLED: 'true', WEBHOOK_RATE_LIMIT_PER_MINUTE: '2' },
    });
    const post = () => postSigned(limited.url, buddyEnvelope(4));
    expect((await post()).status).toBe(202);
    expect((await post()).status).toBe(202);
    const third = await post();
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await third.json()).toMatchObject({ reason: 'rate_limited' });
    expect(sumOf(await scrape(limited.url), 'webhook_gateway_events_received_total', { outcome: 'rate_limited' })).toBe(1);
    expect(await limited.stop()).toBe(0);
  });
});

describe('fault injection (drills)', () => {
  it('is absent without GATEWAY_ADMIN_TOKEN', async () => {
    expect((await fetch(`${stack.gateway.url}/admin/faults`)).status).toBe(404);
  });

  it('with a token, fails, rejects or delays valid webhooks on request, and counts them as real', async () => {
    const faulty = await startService('gateway', { name: 'gateway-faults', logDir: path.join(stack.dir, 'logs'), env: { ...stack.natsEnv('gateway'), WEBHOOK_SIGNATURE_SECRET: stack.signingSecret, GATEWAY_ADMIN_TOKEN: DRILL_TOKEN } });
    const put = (faults: object, token = DRILL_TOKEN) => fetch(`${faulty.url}/admin/faults`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(faults) });
    const post = () => postSigned(faulty.url, buddyEnvelope(2));
    try {
      expect((await put({ errorRate: 1 }, 'wrong')).status).toBe(401);
      expect((await put({ errorRate: 2 })).status).toBe(422);
      expect((await put({ errorRate: 1 })).status).toBe(200);
      const failed = await post();
      expect(failed.status).toBe(500);
      expect(await failed.json()).toMatchObject({ reason: 'injected_fault' });
      expect((await put({ rejectRate: 1 })).status).toBe(200);
      expect((await post()).status).toBe(422);
      expect((await put({ delayMs: 300 })).status).toBe(200);
      const started = performance.now();
      expect((await post()).status).toBe(202);
      expect(performance.now() - started).toBeGreaterThanOrEqual(300);
      const metrics = await scrape(faulty.url);
      expect(sumOf(metrics, 'webhook_gateway_errors_total', { reason: 'injected_fault' })).toBe(1);
      expect(sumOf(metrics, 'webhook_gateway_events_received_total', { outcome: 'invalid', reason: 'injected_rejection' })).toBe(1);
      expect((await fetch(`${faulty.url}/admin/faults`, { method: 'DELETE', headers: { authorization: `Bearer ${DRILL_TOKEN}` } })).status).toBe(200);
      expect((await post()).status).toBe(202);
    } finally {
      await faulty.stop();
    }
  });
});

describe('configuration errors', () => {
  it('stops the publisher at start-up with exit code 78 and names the bad variable', async () => {
    const { command, args } = serviceCommand('publisher');
    const result = await promisify(execFile)(command, args, { cwd: REPO_ROOT, env: { PATH: process.env.PATH, CSR_WEBHOOK_URL: 'not-a-url', CSR_WEBHOOK_RETRY_ATTEMPTS: 'five' } }).catch((err: { code: number; stderr: string }) => err);
    expect(result).toMatchObject({ code: 78 });
    expect((result as { stderr: string }).stderr).toMatch(/publisher: invalid configuration\n.*CSR_WEBHOOK_URL/);
    expect((result as { stderr: string }).stderr).toContain('CSR_WEBHOOK_RETRY_ATTEMPTS');
  });
});

describe('traces', () => {
  it('exports spans over OTLP from all three services when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    await waitFor('spans from every service', () => {
      const traces = Buffer.concat(otlpBodies.filter((b) => b.path === '/v1/traces').map((b) => b.body)).toString('latin1');
      return ['publisher', 'gateway', 'consumer'].every((name) => traces.includes(name));
    }, { timeoutMs: 15_000 });
  });
});
