import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseSecrets, signatureHeaders } from '../../app/signature/standard-webhooks.ts';
import { buddyEnvelope } from '../load/event-factory.ts';
import { startNatsServer } from '../stack/nats-server.ts';
import { startService } from '../stack/service.ts';
import { closedLoop } from './http-load.ts';
const dir = mkdtempSync(path.join(tmpdir(), 'gwb-'));
const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const keys = parseSecrets(secret);
const req = () => { const e = buddyEnvelope(3); const body = JSON.stringify(e); return { body, headers: { 'content-type': 'application/json', ...signatureHeaders(keys, e.id, Math.floor(Date.now()/1000), body) } }; };
const nats = await startNatsServer({ dir: path.join(dir, 'nats') });
for (const variant of (process.argv[2] ?? 'base').split(',')) {
  const env: Record<string,string> = { NATS_URL: nats.url, WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'true', WEBHOOK_SIGNATURE_SECRET: secret, LOG_LEVEL: 'warn', OTEL_EXPERIMENT: variant };
  const g = await startService('gateway', { name: 'g-' + variant, logDir: path.join(dir, 'logs'), env, telemetry: variant !== 'none' });
  const r = await closedLoop({ url: `${g.url}/webhooks/buddy-events`, concurrency: 32, durationMs: 8000, warmupMs: 2000, request: req });
  console.log(variant, Math.round(r.perSecond), 'p99', r.p99Ms.toFixed(1));
  await g.stop();
}
await nats.stop();
