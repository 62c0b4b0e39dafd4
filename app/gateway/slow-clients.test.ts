// Server limits on the gateway: a client trickling its request is cut off at the request timeout,
// and connections beyond the cap are refused (issue 17, finding 5: one byte every 5 s held a socket
// for more than 100 s under Node's defaults).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buddyEnvelope } from '../../harness/load/event-factory.ts';
import { type InProcessGateway, startInProcessGateway } from '../../harness/stack/in-process-gateway.ts';
import { openRaw, postHead, type RawConnection } from '../../harness/stack/raw-http.ts';
import { parseSecrets, signatureHeaders } from '../signature/standard-webhooks.ts';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const adminToken = randomBytes(32).toString('hex');
// Short enough to keep the file fast, and still many times what receiving a small request takes here.
const HEADERS_TIMEOUT_MS = 200;
const REQUEST_TIMEOUT_MS = 400;
// Longer than the request timeout by more than Node's check interval (100 ms here): a cut would show.
const SLOW_ANSWER_MS = REQUEST_TIMEOUT_MS + 300;
let gateway: InProcessGateway;

beforeAll(async () => {
  // An in-memory bus writer: what is measured here is the HTTP server, not JetStream.
  gateway = await startInProcessGateway({
    env: {
      WEBHOOK_SIGNATURE_SECRET: secret,
      WEBHOOK_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      WEBHOOK_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      WEBHOOK_MAX_CONNECTIONS: '3',
      GATEWAY_ADMIN_TOKEN: adminToken,
    },
  });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
});

/** Writes one byte every 100 ms until the server closes the connection, for 5 s at most. */
async function trickle(conn: RawConnection, bytes: string): Promise<number | 'still open'> {
  for (let i = 0; i < 50 && !conn.isClosed(); i++) {
    conn.write(bytes[i % bytes.length]!);
    await new Promise((r) => setTimeout(r, 100));
  }
  return conn.isClosed() ? await conn.closed : 'still open';
}

describe('slow clients', () => {
  it('cuts off a body trickled one byte at a time within the request timeout', async () => {
    const event = buddyEnvelope(3);
    const body = JSON.stringify(event);
    const conn = await openRaw(gateway.url);
    conn.write(
      postHead(gateway.config.endpoint, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...signatureHeaders(parseSecrets(secret), event.id, Math.floor(Date.now() / 1000), body),
      }),
    );
    const closedAfterMs = await trickle(conn, body);
    expect(closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    // The timeout plus Node's check interval (its 100 ms floor here) and scheduling.
    expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 1000);
  });

  it('cuts off headers trickled one byte at a time within the headers timeout', async () => {
    const conn = await openRaw(gateway.url);
    const closedAfterMs = await trickle(
      conn,
      postHead(gateway.config.endpoint, { 'content-type': 'application/json', 'x-padding': 'p'.repeat(200) }),
    );
    expect(closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + 1000);
  });

  it('does not cut off a slow answer: the timeout covers receiving the request, not the publish to JetStream', async () => {
    const admin = (method: string, body?: string) =>
      fetch(`${gateway.url}/admin/faults`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body,
      });
    expect((await admin('PUT', JSON.stringify({ delayMs: SLOW_ANSWER_MS }))).status).toBe(200);
    try {
      const event = buddyEnvelope(1);
      const body = JSON.stringify(event);
      const started = performance.now();
      const res = await fetch(gateway.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signatureHeaders(parseSecrets(secret), event.id, Math.floor(Date.now() / 1000), body),
        },
        body,
      });
      expect(res.status).toBe(202);
      expect(performance.now() - started).toBeGreaterThanOrEqual(SLOW_ANSWER_MS);
    } finally {
      await admin('DELETE');
    }
  });

  it('refuses connections beyond the cap, and serves again once one closes', async () => {
    // Start from no connections: earlier tests' keep-alive connections would count towards the cap.
    gateway.server.closeIdleConnections();
    await new Promise((r) => setTimeout(r, 50));
    const held = await Promise.all([0, 1, 2].map(() => openRaw(gateway.url)));
    try {
      // Let the server count them before the next one arrives.
      await new Promise((r) => setTimeout(r, 50));
      const extra = await openRaw(gateway.url);
      expect(await Promise.race([extra.closed, new Promise((r) => setTimeout(() => r('still open'), 1000))])).toEqual(expect.any(Number));
      expect(held.every((c) => !c.isClosed())).toBe(true);
    } finally {
      for (const c of held) c.destroy();
    }
    await new Promise((r) => setTimeout(r, 50));
    expect((await fetch(`${gateway.url}/health/webhook`)).status).toBe(200);
  });
});
