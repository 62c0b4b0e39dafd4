// Signature validation turned off on purpose: allowed, but loud (issue 17, finding 3). And a secret
// configured while validation is off stops start-up, since it would look like protection.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buddyEnvelope } from '../../harness/load/event-factory.ts';
import { createInMemoryBusWriter, type InProcessGateway, startInProcessGateway } from '../../harness/stack/in-process-gateway.ts';
import { scrape, sumOf } from '../../harness/stack/scrape.ts';
import { REPO_ROOT, serviceCommand } from '../../harness/stack/service.ts';
import { startTelemetry, stopTelemetry } from '../telemetry/sdk.ts';

const bus = createInMemoryBusWriter();
let gateway: InProcessGateway;

beforeAll(async () => {
  await startTelemetry({ serviceName: 'gateway' });
  gateway = await startInProcessGateway({ busWriter: bus, env: { WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'false' } });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await stopTelemetry();
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(gateway.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('signature validation explicitly off', () => {
  it('logs one warning at start and shows 0 on the gauge', async () => {
    const warnings = gateway.logLines.filter((l) => l.level === 40 && String(l.msg).includes('WEBHOOK_SIGNATURE_VALIDATION_ENABLED=false'));
    expect(warnings).toHaveLength(1);
    expect(sumOf(await scrape(gateway.url), 'webhook_gateway_signature_validation_enabled')).toBe(0);
  });

  it('accepts an unsigned event, and still refuses a webhook-id that is not the event id', async () => {
    const event = buddyEnvelope(2);
    expect((await post(JSON.stringify(event))).status).toBe(202);
    expect((await post(JSON.stringify(event), { 'webhook-id': event.id })).status).toBe(202);
    expect(bus.written.map((w) => w.event.id)).toEqual([event.id]);
    const mismatch = await post(JSON.stringify(buddyEnvelope(2)), { 'webhook-id': randomUUID() });
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toMatchObject({ reason: 'webhook_id_mismatch' });
  });
});

describe('start-up', () => {
  const start = (env: Record<string, string>) => {
    const { command, args } = serviceCommand('gateway');
    return promisify(execFile)(command, args, { cwd: REPO_ROOT, env: { PATH: process.env.PATH, ...env }, timeout: 20_000 }).catch(
      (err: { code: number; stderr: string }) => err,
    );
  };

  it('stops with exit code 78 without a secret, since validation is the default', async () => {
    const result = await start({});
    expect(result).toMatchObject({ code: 78 });
    expect((result as { stderr: string }).stderr).toMatch(
      /WEBHOOK_SIGNATURE_SECRET: required when WEBHOOK_SIGNATURE_VALIDATION_ENABLED=true/,
    );
  });

  // A secret set while validation is off stops start-up the same way: config.test.ts checks its message.
});
