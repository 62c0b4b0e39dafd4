// What operators touch: dead-letter inspection and replay (HTTP and CLI), health, graceful shutdown,
// and trace export over OTLP. The gateway's rate limit and drill faults: app/gateway/app.test.ts.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buddyEvent } from '../load/event-factory.ts';
import { createEvent } from '../load/publisher-client.ts';
import { scrape, sumOf } from '../stack/scrape.ts';
import { REPO_ROOT, serviceCommand } from '../stack/service.ts';
import { startStack, type Stack } from '../stack/stack.ts';
import { randomToken } from '../stack/token-file.ts';
import { waitFor } from '../stack/wait.ts';
import { tempDir, waitForAllDelivered } from './support.ts';

const ADMIN_TOKEN = randomToken();
let stack: Stack;
let otlp: Server;
const otlpBodies: { path: string; body: Buffer }[] = [];

async function health() {
  return (await (await fetch(`${stack.publisher.url}/health`)).json()) as {
    outbox: { depth: number };
    deadLetter: { depth: number };
    lastDelivery: { outcome: string; status: number | null } | null;
  };
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
  const otlpEnv = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(otlp.address() as { port: number }).port}`,
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
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
    // Stopped by SIGTERM, which it must survive cleanly (exit 0); then it is as gone as a crashed one.
    expect(await stack.gateway.stop()).toBe(0);
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
    const list = (await (await admin('/dead-letters')).json()) as {
      depth: number;
      items: { id: string; reason: string; attempts: number }[];
    };
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
      promisify(execFile)(
        process.execPath,
        [path.join(REPO_ROOT, 'app/publisher/dead-letter-cli.ts'), ...args, '--outbox', stack.outboxPath],
        { cwd: REPO_ROOT },
      );
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
      await waitFor('gateway to report degraded', async () => (await fetch(`${stack.gateway.url}/health/all`)).status === 503, {
        timeoutMs: 15_000,
      });
      const degraded = await fetch(`${stack.gateway.url}/health/all`);
      expect(await degraded.json()).toMatchObject({ status: 'degraded', checks: { nats: { ok: false } } });
      expect((await fetch(`${stack.gateway.url}/health/webhook`)).status).toBe(200);
    } finally {
      await stack.nats.start();
    }
    await waitFor('gateway healthy again', async () => (await fetch(`${stack.gateway.url}/health/all`)).status === 200, {
      timeoutMs: 15_000,
    });
  });
});

describe('fault injection (drills)', () => {
  it('is absent without GATEWAY_ADMIN_TOKEN', async () => {
    expect((await fetch(`${stack.gateway.url}/admin/faults`)).status).toBe(404);
  });
  // What the switch does to webhooks: app/gateway/app.test.ts, in-process.
});

describe('configuration errors', () => {
  it('stops the publisher at start-up with exit code 78 and names the bad variable', async () => {
    const { command, args } = serviceCommand('publisher');
    const result = await promisify(execFile)(command, args, {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, CSR_WEBHOOK_URL: 'not-a-url', CSR_WEBHOOK_RETRY_ATTEMPTS: 'five' },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(result).toMatchObject({ code: 78 });
    expect((result as { stderr: string }).stderr).toMatch(/publisher: invalid configuration\n.*CSR_WEBHOOK_URL/);
    expect((result as { stderr: string }).stderr).toContain('CSR_WEBHOOK_RETRY_ATTEMPTS');
  });
});

describe('traces', () => {
  it('exports spans over OTLP from all three services when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    await waitFor(
      'spans from every service',
      () => {
        const traces = Buffer.concat(otlpBodies.filter((b) => b.path === '/v1/traces').map((b) => b.body)).toString('latin1');
        return ['publisher', 'gateway', 'consumer'].every((name) => traces.includes(name));
      },
      { timeoutMs: 15_000 },
    );
  });
});
