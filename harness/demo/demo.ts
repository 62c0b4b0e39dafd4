// `npm run demo`: the whole event bus on this machine, no Docker. Starts nats-server (JetStream),
// the gateway, the consumers and the publisher, drives a steady 50 events/s into the publisher, and
// prints what arrived every few seconds until Ctrl-C.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DatabaseSync } from 'node:sqlite';
import { CONSUMER_NAMES } from '../../app/consumer/handlers/index.ts';
import { buddyEvent } from '../load/event-factory.ts';
import { percentile, runOpenModel } from '../load/open-model.ts';
import { createEvent } from '../load/publisher-client.ts';
import { isPortInUse } from '../stack/ports.ts';
import { REPO_ROOT } from '../stack/service.ts';
import { startStack } from '../stack/stack.ts';

const HELP = `npm run demo -- [options]

Runs the event bus locally: nats-server with JetStream, the CSR gateway, the Q2Q AI / Journey /
Safety consumers and the Buddy publisher, with a steady load, printing progress until Ctrl-C.

Options:
  --rate N            events per second sent to the publisher (default 50)
  --nats-port N       nats-server client port (default 4222)
  --gateway-port N    gateway port (default 3000)
  --publisher-port N  publisher port (default 3001)
  --consumer-port N   consumer port (default 3002)
  --state-dir DIR     where every process keeps its data and logs (default .demo)
  --fresh             wipe the state directory first
  --interval S        seconds between progress lines (default 5)
  -h, --help          this text
`;

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '50' },
    'nats-port': { type: 'string', default: '4222' },
    'gateway-port': { type: 'string', default: '3000' },
    'publisher-port': { type: 'string', default: '3001' },
    'consumer-port': { type: 'string', default: '3002' },
    'state-dir': { type: 'string', default: '.demo' },
    fresh: { type: 'boolean', default: false },
    interval: { type: 'string', default: '5' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const rate = Number(values.rate);
const ports = {
  nats: Number(values['nats-port']),
  gateway: Number(values['gateway-port']),
  publisher: Number(values['publisher-port']),
  consumer: Number(values['consumer-port']),
};
const stateDir = path.resolve(REPO_ROOT, values['state-dir']);

for (const [name, port] of Object.entries(ports)) {
  if (await isPortInUse(port)) {
    console.error(`Port ${port} (${name}) is already in use: stop whatever holds it, or run npm run demo -- --${name}-port <free port>.`);
    process.exit(1);
  }
}
if (values.fresh) rmSync(stateDir, { recursive: true, force: true });

console.log(`Starting the stack in ${path.relative(process.cwd(), stateDir) || stateDir} ...`);
const startedAt = Date.now();
const stack = await startStack({ dir: stateDir, natsPort: ports.nats, ports: { gateway: ports.gateway, publisher: ports.publisher, consumer: ports.consumer } });
console.log(`
  Publisher API    ${stack.publisher.url}/events       POST events here (Buddy System)
  Publisher health ${stack.publisher.url}/health       outbox and dead-letter depth
  Gateway webhook  ${stack.webhookUrl}  (CSR Platform)
  Gateway health   ${stack.gateway.url}/health/all
  Metrics          ${stack.publisher.url}/metrics  ${stack.gateway.url}/metrics  ${stack.consumer.url}/metrics
  NATS             ${stack.nats.url}   monitoring ${stack.nats.monitorUrl}
  Logs and data    ${stateDir}
Ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s. Sending ${rate} events/s; Ctrl-C stops everything.
`);

const abort = new AbortController();
let acknowledged = 0;
let failed = 0;
const load = runOpenModel({
  stages: [{ ratePerSecond: rate, durationMs: 7 * 24 * 3600 * 1000 }],
  maxInFlight: 500,
  signal: abort.signal,
  iteration: async (i) => {
    const result = await createEvent(stack.publisher.url, buddyEvent(i));
    if (result.ok) acknowledged++;
    else failed++;
    return result;
  },
});

const inbox = () => new DatabaseSync(stack.consumerDbPath, { readOnly: true });
let lastReport = Date.now();
const report = setInterval(async () => {
  const since = lastReport;
  lastReport = Date.now();
  try {
    const db = inbox();
    const delivered = db.prepare('SELECT consumer, count(*) AS n FROM processed WHERE handled_at >= ? GROUP BY consumer').all(startedAt) as { consumer: string; n: number }[];
    const latencies = (db.prepare('SELECT handled_at - occurred_at AS ms FROM processed WHERE handled_at >= ?').all(since) as { ms: number }[]).map((r) => r.ms);
    db.close();
    const health = (await (await fetch(`${stack.publisher.url}/health`)).json()) as { outbox: { depth: number }; deadLetter: { depth: number } };
    const byConsumer = CONSUMER_NAMES.map((c) => `${c}=${delivered.find((d) => d.consumer === c)?.n ?? 0}`).join(' ');
    const fmt = (p: number) => (latencies.length ? `${percentile(latencies, p)}ms` : '-');
    console.log(
      `[${Math.round((Date.now() - startedAt) / 1000)}s] sent=${acknowledged}${failed ? ` failed=${failed}` : ''} outbox=${health.outbox.depth} delivered ${byConsumer} dead-lettered=${health.deadLetter.depth} e2e p50=${fmt(50)} p95=${fmt(95)} p99=${fmt(99)}`,
    );
  } catch (err) {
    console.log(`status unavailable: ${(err as Error).message}`);
  }
}, Number(values.interval) * 1000);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping: load, publisher, gateway, consumers, nats-server ...');
  clearInterval(report);
  abort.abort();
  await load;
  await stack.stop();
  console.log('Stopped. State kept in', stateDir, '(delete it, or pass --fresh, to start clean).');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
