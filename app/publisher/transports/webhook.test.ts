// The webhook transport against a real HTTP server on loopback: webhook-id is the event id, signed
// or not; Retry-After reaches settle(); unsigned sending is said once and shown as a gauge.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrape, sumOf } from '../../../harness/stack/scrape.ts';
import { parseSecrets, verify } from '../../signature/standard-webhooks.ts';
import { serveMetrics, startTelemetry, stopTelemetry } from '../../telemetry/sdk.ts';
import type { OutboxRow } from '../outbox-row.ts';
import { outboxRow } from '../outbox-row-fixture.ts';
import { UNSIGNED_WARNING, webhookTransport } from './webhook.ts';

const keys = parseSecrets(`whsec_${randomBytes(32).toString('base64')}`);
let server: Server;
let url: string;
const seen: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
let answer: { status: number; headers?: Record<string, string> } = { status: 202 };

const row = (id = randomUUID()): OutboxRow => outboxRow({ id, type: 'buddy.match.ended', body: JSON.stringify({ id }) });
const capture = () => {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l)) }) };
};

beforeAll(async () => {
  await startTelemetry({ serviceName: 'publisher' });
  server = createServer((req, res) => {
    if (req.url === '/metrics') return serveMetrics(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server?.close();
  await stopTelemetry();
});

describe('webhook transport', () => {
  it('sends webhook-id = the event id, signed over it', async () => {
    const transport = webhookTransport({ urls: [`${url}/hook`], keys, timeoutMs: 2000, logger: capture().logger });
    const r = row();
    expect(await transport.send(r, 1)).toMatchObject({ kind: 'response', status: 202 });
    const { headers, body } = seen.at(-1)!;
    expect(headers['webhook-id']).toBe(r.id);
    expect(
      verify(
        keys,
        {
          id: headers['webhook-id'] as string,
          timestamp: headers['webhook-timestamp'] as string,
          signature: headers['webhook-signature'] as string,
          body,
        },
        Math.floor(Date.now() / 1000),
      ),
    ).toEqual({ ok: true });
  });

  it('hands Retry-After to settle()', async () => {
    answer = { status: 429, headers: { 'retry-after': '7' } };
    const transport = webhookTransport({ urls: [`${url}/hook`], keys, timeoutMs: 2000, logger: capture().logger });
    expect(await transport.send(row(), 1)).toEqual({ kind: 'response', status: 429, retryAfter: '7' });
    answer = { status: 202 };
  });

  it('says once that it sends unsigned, still with webhook-id = the event id, and shows it as a gauge', async () => {
    const signedLog = capture();
    webhookTransport({ urls: [`${url}/hook`], keys, timeoutMs: 2000, logger: signedLog.logger });
    expect(signedLog.lines.filter((l) => l.msg === UNSIGNED_WARNING)).toHaveLength(0);
    // Only signed transports so far in this process.
    expect(sumOf(await scrape(url), 'webhook_publisher_signing_enabled')).toBe(1);

    const { lines, logger } = capture();
    const transport = webhookTransport({ urls: [`${url}/hook`], keys: [], timeoutMs: 2000, logger });
    const r = row();
    await transport.send(r, 1);
    await transport.send(row(), 1);
    expect(lines.filter((l) => l.msg === UNSIGNED_WARNING && l.level === 40)).toHaveLength(1);
    expect(seen.at(-2)!.headers).toMatchObject({ 'webhook-id': r.id });
    expect(seen.at(-2)!.headers['webhook-signature']).toBeUndefined();
    expect(sumOf(await scrape(url), 'webhook_publisher_signing_enabled')).toBe(0);
  });
});
