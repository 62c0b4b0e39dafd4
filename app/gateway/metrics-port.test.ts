// WEBHOOK_METRICS_PORT (issue 16): with it, /metrics has a port of its own and the webhook port no
// longer serves it, so a NetworkPolicy can keep Prometheus off the webhook. Unset, one port as before.
// The real process (real nats-server, provisioned stream) shows main.ts's wiring: both listeners,
// and a shutdown that keeps the metrics port until in-flight webhooks have finished.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buddyEnvelope } from '../../harness/load/event-factory.ts';
import { newSecret, tempDir } from '../../harness/integration/support.ts';
import { type EventBusNats, startEventBusNats } from '../../harness/stack/event-bus-nats.ts';
import { startInProcessGateway } from '../../harness/stack/in-process-gateway.ts';
import { freePort } from '../../harness/stack/ports.ts';
import { openRaw, postHead } from '../../harness/stack/raw-http.ts';
import { scrape, sumOf } from '../../harness/stack/scrape.ts';
import { type Service, startService } from '../../harness/stack/service.ts';
import { parseSecrets, signatureHeaders } from '../signature/standard-webhooks.ts';
import { startTelemetry, stopTelemetry } from '../telemetry/sdk.ts';
import { DEFAULT_WEBHOOK_ENDPOINT, parseGatewayConfig } from './config.ts';

const secret = newSecret();

describe('WEBHOOK_METRICS_PORT, parsed', () => {
  it('is unset by default, a port when set, and refused when it is WEBHOOK_PORT', () => {
    expect(parseGatewayConfig({ WEBHOOK_SIGNATURE_SECRET: secret }).metricsPort).toBeUndefined();
    expect(parseGatewayConfig({ WEBHOOK_SIGNATURE_SECRET: secret, WEBHOOK_METRICS_PORT: '' }).metricsPort).toBeUndefined();
    expect(parseGatewayConfig({ WEBHOOK_SIGNATURE_SECRET: secret, WEBHOOK_METRICS_PORT: '9464' }).metricsPort).toBe(9464);
    expect(() => parseGatewayConfig({ WEBHOOK_SIGNATURE_SECRET: secret, WEBHOOK_METRICS_PORT: 'metrics' })).toThrow(/WEBHOOK_METRICS_PORT/);
    expect(() => parseGatewayConfig({ WEBHOOK_SIGNATURE_SECRET: secret, WEBHOOK_METRICS_PORT: '3000' })).toThrow(
      /WEBHOOK_METRICS_PORT: must differ from WEBHOOK_PORT/,
    );
  });
});

describe('the webhook port in-process', () => {
  beforeAll(() => startTelemetry({ serviceName: 'gateway' }));
  afterAll(() => stopTelemetry());

  it('serves /metrics while WEBHOOK_METRICS_PORT is unset, and answers 404 not_found once it is set', async () => {
    const onePort = await startInProcessGateway({ env: { WEBHOOK_SIGNATURE_SECRET: secret } });
    const twoPorts = await startInProcessGateway({ env: { WEBHOOK_SIGNATURE_SECRET: secret, WEBHOOK_METRICS_PORT: '0' } });
    try {
      expect(sumOf(await scrape(onePort.url), 'webhook_gateway_signature_validation_enabled')).toBe(1);
      const res = await fetch(`${twoPorts.url}/metrics`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ reason: 'not_found', instance: '/metrics' });
    } finally {
      await Promise.all([onePort.close(), twoPorts.close()]);
    }
  });
});

describe('the gateway process with WEBHOOK_METRICS_PORT', () => {
  let dir: string;
  let bus: EventBusNats;
  let gateway: Service;
  let metricsUrl: string;

  beforeAll(async () => {
    dir = tempDir('gateway-metrics-port');
    bus = await startEventBusNats({ dir: path.join(dir, 'nats') });
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
    gateway = await startService('gateway', {
      logDir: dir,
      env: { ...bus.env('gateway'), WEBHOOK_SIGNATURE_SECRET: secret, WEBHOOK_METRICS_PORT: String(metricsPort) },
    });
  }, 90_000);

  afterAll(async () => {
    await gateway?.kill();
    await bus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the gateway's metrics on the metrics port only, and health on the webhook port only", async () => {
    expect(sumOf(await scrape(metricsUrl), 'webhook_gateway_signature_validation_enabled')).toBe(1);
    const answers = {
      'webhook port /metrics': (await fetch(`${gateway.url}/metrics`)).status,
      'webhook port /health/all': (await fetch(`${gateway.url}/health/all`)).status,
      'metrics port /health/all': (await fetch(`${metricsUrl}/health/all`)).status,
      'metrics port POST webhook': (await fetch(`${metricsUrl}${DEFAULT_WEBHOOK_ENDPOINT}`, { method: 'POST' })).status,
    };
    expect(answers).toEqual({
      'webhook port /metrics': 404,
      'webhook port /health/all': 200,
      'metrics port /health/all': 404,
      'metrics port POST webhook': 404,
    });
  });

  it('on SIGTERM, keeps the metrics port while a webhook is in flight, then closes both and exits 0', async () => {
    const event = buddyEnvelope(1);
    const body = JSON.stringify(event);
    const conn = await openRaw(gateway.url);
    try {
      // Signed headers pass admission; the body, held back, keeps the request in flight.
      const signed = signatureHeaders(parseSecrets(secret), event.id, Math.floor(Date.now() / 1000), body);
      conn.write(
        postHead(DEFAULT_WEBHOOK_ENDPOINT, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...signed }),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const stopped = gateway.stop();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await fetch(`${metricsUrl}/metrics`)).status).toBe(200);
      conn.write(body);
      expect((await conn.nextResponse()).status).toBe(202);
      expect(await stopped).toBe(0);
      await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
    } finally {
      conn.destroy();
    }
  }, 30_000);
});
