// The happy path on a real stack: nats-server, gateway, consumers and publisher as separate processes
// on loopback. Every way bad input is turned away is app/gateway/app.test.ts's job, in-process.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSecrets, signatureHeaders } from '../../app/signature/standard-webhooks.ts';
import { ALL_METRICS, exposedSeriesNames, HTTP_SERVER_DURATION_METRIC } from '../../app/telemetry/metric-catalog.ts';
import { CONSUMER_NAMES } from '../../app/consumer/handlers/index.ts';
import { readDeliveryLog, readProcessed } from '../inbox-reader/consumer-log.ts';
import { waitFor } from '../stack/wait.ts';
import { buddyEnvelope, buddyEvent } from '../load/event-factory.ts';
import { percentile } from '../../app/telemetry/percentile.ts';
import { runOpenModel } from '../load/open-model.ts';
import { createEvent } from '../load/publisher-client.ts';
import { scrape, sumOf } from '../stack/scrape.ts';
import { startStack, type Stack } from '../stack/stack.ts';
import { countDeliveries, newSecret, tempDir, waitForAllDelivered, writeArtifact } from './support.ts';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../../app/gateway/config.ts';

const secret = newSecret();
const keys = parseSecrets(secret);
let stack: Stack;
let nc: NatsConnection;

/** POSTs an event straight to the gateway, signed as the publisher signs it: webhook-id is the event id. */
async function postWebhook(event: { id: string }) {
  const body = JSON.stringify(event);
  const res = await fetch(stack.webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signatureHeaders(keys, event.id, Math.floor(Date.now() / 1000), body) },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  // The gateway logs each accepted webhook at debug: the trace test below reads that line.
  stack = await startStack({ dir: tempDir('flow'), signingSecret: secret, gatewayEnv: { LOG_LEVEL: 'debug' } });
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
    const latencies = readProcessed(stack.consumerDbPath)
      .filter((r) => acknowledged.has(r.event_id))
      .map((r) => r.handled_at - r.occurred_at);
    const summary = {
      rate: 50,
      events: acknowledged.size,
      consumers: counts.length,
      p50_ms: percentile(latencies, 50),
      p95_ms: percentile(latencies, 95),
      p99_ms: percentile(latencies, 99),
    };
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
    const traceIds = inbox.prepare('SELECT DISTINCT trace_id FROM processed WHERE event_id = ?').all(created.id) as {
      trace_id: string | null;
    }[];
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
      expect(
        log
          .filter((r) => r.consumer === consumer)
          .map((r) => r.outcome)
          .sort(),
      ).toEqual(['duplicate', 'handled']);
    }
  });

  it('flags a duplicate POST and does not deliver it twice', async () => {
    const event = buddyEnvelope(2);
    const first = await postWebhook(event);
    const second = await postWebhook(event);
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

describe('telemetry', () => {
  it('exports every metric in the catalogue, passes promtool check metrics, and labels http_route', async () => {
    const services = [stack.gateway, stack.publisher, stack.consumer];
    const exposed = new Set<string>();
    for (const service of services) {
      const text = await (await fetch(`${service.url}/metrics`)).text();
      const lint = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(lint, `${service.name} /metrics`).toBe('');
      for (const s of await scrape(service.url)) exposed.add(s.name);
    }
    // Mode-specific metrics (the dual-publish comparison) are checked by the migration test.
    const missing = ALL_METRICS.filter((m) => !m.onlyWhen)
      .flatMap((m) => exposedSeriesNames(m))
      .filter((n) => !exposed.has(n));
    expect(missing).toEqual([]);
    const http = (await scrape(stack.gateway.url)).filter((s) => s.name === `${HTTP_SERVER_DURATION_METRIC}_count`);
    expect(http.map((s) => s.labels.http_route)).toContain(DEFAULT_WEBHOOK_ENDPOINT);
  });
});
