// `npm run bench [-- --quick] [--out DIR]`: every number measured in one run on this machine and
// reported as ratios against baselines measured alongside it, never as absolute pass/fail timings.
import { readFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CONSUMER_NAMES } from '../../app/consumer/handlers/index.ts';
import { DatabaseSync } from 'node:sqlite';
import { createWebhookPublisher, sqliteOutbox } from '../../app/publisher/index.ts';
import { createLogger } from '../../app/telemetry/logger.ts';
import { readProcessed } from '../inbox-reader/consumer-log.ts';
import { decodeSecret } from '../../app/signature/standard-webhooks.ts';
import { buddyEnvelope, buddyEvent } from '../load/event-factory.ts';
import { percentile } from '../../app/telemetry/percentile.ts';
import { runOpenModel } from '../load/open-model.ts';
import type { PublisherEndpoint } from '../load/publisher-client.ts';
import { rawPublisherClient } from './raw-publisher-client.ts';
import { startEventBusNats } from '../stack/event-bus-nats.ts';
import { freePort } from '../stack/ports.ts';
import { spawnLogged, terminate } from '../stack/processes.ts';
import { REPO_ROOT, startService } from '../stack/service.ts';
import { nothingInFlight, startStack } from '../stack/stack.ts';
import { sleep, waitFor } from '../stack/wait.ts';
import { ID_PLACEHOLDER, rawClosedLoop, type RawLoadResult } from './raw-load.ts';
import { invalidRequestsMarkdown, measureInvalidRequests } from './invalid-requests.ts';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../../app/gateway/config.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results' },
    concurrency: { type: 'string', default: '32' },
  },
});
const quick = values.quick;
const durationMs = quick ? 3000 : 15_000;
const warmupMs = quick ? 1000 : 3000;
const concurrency = Number(values.concurrency);
const dir = mkdtempSync(path.join(tmpdir(), 'bench-'));
const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const log = (line: string) => console.log(line);
const WEBHOOK_PATH = DEFAULT_WEBHOOK_ENDPOINT;

function peakRssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : null;
}

/** CPU seconds a process has used so far (user + system), from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * How long a service sits without load before its idle RSS is read. Start-up grows V8's young
 * generation to its cap (16 MB semi-spaces); each service gives it back with one collection 5 s
 * after it is up (app/start/release-start-up-garbage.ts), which V8 alone often had not done 20 s on.
 */
const IDLE_SETTLE_MS = 20_000;

/** RSS now, for the idle figure. */
function rssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : null;
}

type Measured = RawLoadResult & { serverCpuMicrosPerRequest: number; natsCpuMicrosPerRequest?: number };

/** The server's (and nats-server's) CPU cost per answered request: the numbers that explain the ratios. */
async function measured(pid: number | undefined, run: () => Promise<RawLoadResult>, natsPid?: number): Promise<Measured> {
  const before = cpuSeconds(pid);
  const natsBefore = natsPid ? cpuSeconds(natsPid) : 0;
  const result = await run();
  // The warm-up's requests are not counted in the result, so scale them in by time.
  const requestsIncludingWarmup = Math.max(1, result.requests * ((durationMs + warmupMs) / durationMs));
  const perRequest = (seconds: number) => Math.round((seconds / requestsIncludingWarmup) * 1e6);
  return {
    ...result,
    serverCpuMicrosPerRequest: perRequest(cpuSeconds(pid) - before),
    ...(natsPid ? { natsCpuMicrosPerRequest: perRequest(cpuSeconds(natsPid) - natsBefore) } : {}),
  };
}

// Every target gets the same load: fresh signed events over raw keep-alive sockets from two worker
// threads (raw-load.ts), so the generator costs a fraction of what the servers do.
const bodyTemplate = JSON.stringify({ ...buddyEnvelope(3), id: ID_PLACEHOLDER });
const load = (url: string) => rawClosedLoop({ url, concurrency, durationMs, warmupMs, bodyTemplate, signingKey: decodeSecret(secret) });

async function baseline(kind: 'http' | 'express') {
  const port = await freePort();
  const proc = spawnLogged(process.execPath, [path.join(REPO_ROOT, 'harness/bench/baseline-server.ts'), kind, String(port)], {
    logFile: path.join(dir, `${kind}.log`),
  });
  const url = `http://127.0.0.1:${port}${WEBHOOK_PATH}`;
  await waitFor(
    `${kind} baseline`,
    async () =>
      await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
        .then((r) => r.status === 202)
        .catch(() => false),
  );
  const result = await measured(proc.child.pid, () => load(url));
  await terminate(proc);
  return result;
}

// 1. Gateway throughput against bare Express and bare node:http, telemetry on and off.
log(`gateway throughput: ${concurrency} concurrent requests for ${durationMs / 1000} s each`);
const describe = (r: Measured) =>
  `${r.perSecond.toFixed(0)}/s, ${r.serverCpuMicrosPerRequest} µs CPU per request${r.natsCpuMicrosPerRequest !== undefined ? ` (+${r.natsCpuMicrosPerRequest} µs in nats-server)` : ''}, generator ${r.generatorCpuMicrosPerRequest} µs, errors ${r.errors}`;
const nodeHttp = await baseline('http');
log(`  node:http 202      ${describe(nodeHttp)}`);
const expressEcho = await baseline('express');
log(`  express echo 202   ${describe(expressEcho)}`);
// If bare node:http is not faster than Express, the generator is what was measured.
const generatorSaturated = nodeHttp.perSecond <= expressEcho.perSecond;
if (generatorSaturated)
  log('  WARNING: node:http is not faster than Express: the load generator is the limit, so the ratios below mean nothing');
const nats = await startEventBusNats({ dir: path.join(dir, 'nats') });
const natsPid = nats.nodes[0]!.pid();
const gatewayEnv = {
  ...nats.env('gateway'),
  WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'true',
  WEBHOOK_SIGNATURE_SECRET: secret,
  LOG_LEVEL: 'warn',
};
const measureGateway = async (telemetry: boolean) => {
  const gateway = await startService('gateway', {
    name: telemetry ? 'gateway' : 'gateway-no-telemetry',
    logDir: path.join(dir, 'logs'),
    env: gatewayEnv,
    telemetry,
    waitForHealthy: true,
  });
  await sleep(IDLE_SETTLE_MS);
  const idleRss = rssMb(gateway.pid());
  const result = await measured(gateway.pid(), () => load(`${gateway.url}${WEBHOOK_PATH}`), natsPid);
  const rss = peakRssMb(gateway.pid());
  await gateway.stop();
  return { result, rss, idleRss };
};
const gatewayOn = await measureGateway(true);
log(`  gateway            ${describe(gatewayOn.result)}; RSS idle ${gatewayOn.idleRss} MB, peak ${gatewayOn.rss} MB`);
const gatewayOff = await measureGateway(false);
log(`  gateway, no OTel   ${describe(gatewayOff.result)}`);
log('gateway CPU per invalid request, next to a valid one:');
const invalidRequests = await measureInvalidRequests({
  gatewayEnv,
  logDir: path.join(dir, 'logs'),
  concurrency,
  durationMs,
  warmupMs,
  log,
});
await nats.stop();

// 2. The whole pipeline: publisher API → outbox → gateway → JetStream → three consumers. A stage
//    is sustained when, one second after it ends, every accepted event has reached all three
//    consumers, its end-to-end p99 stayed under 1 s, and no call failed or was dropped. The ramp
//    goes on until a stage fails, so the number is the ceiling and not the ramp's last stage.
const stageMs = quick ? 3000 : 10_000;
const rampRates = quick ? [250, 500, 1000] : [250, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 8000];

type Stage = {
  rate: number;
  accepted: number;
  failed: number;
  failedKinds: Record<string, number>;
  dropped: number;
  reachedAll: number;
  p50Ms: number;
  p99Ms: number;
  sustained: boolean;
  publisherCpuMicrosPerEvent: number;
  /** The consumer process (all three durables) per accepted event, up to the drained backlog. */
  consumerCpuMicrosPerEvent: number;
  loadgenCpuMicrosPerEvent: number;
};

async function sendAt(publisher: PublisherEndpoint, rate: number, ms: number) {
  const ids = new Set<string>();
  const client = rawPublisherClient(publisher);
  const cpuBefore = process.cpuUsage();
  const run = await runOpenModel({
    stages: [{ ratePerSecond: rate, durationMs: ms }],
    maxInFlight: 2000,
    iteration: async (i) => {
      const r = await client.create(buddyEvent(i));
      if (r.ok) ids.add(r.id);
      return r;
    },
  });
  client.close();
  const cpu = process.cpuUsage(cpuBefore);
  const loadgenCpuMicrosPerEvent = Math.round((cpu.user + cpu.system) / Math.max(1, run.records.length));
  const failedKinds: Record<string, number> = {};
  for (const r of run.records) if (!r.ok) failedKinds[r.errorKind ?? 'unknown'] = (failedKinds[r.errorKind ?? 'unknown'] ?? 0) + 1;
  return { ids, failed: run.records.filter((r) => !r.ok).length, failedKinds, dropped: run.dropped, loadgenCpuMicrosPerEvent };
}

async function pipelineRamp(stack: Awaited<ReturnType<typeof startStack>>, label: string) {
  const stages: Stage[] = [];
  const drained = () => waitFor('the backlog to drain', () => nothingInFlight(stack), { timeoutMs: 600_000, intervalMs: 500 });
  await drained();
  for (const rate of rampRates) {
    const since = Date.now();
    const cpuBefore = cpuSeconds(stack.publisher.pid());
    const consumerCpuBefore = cpuSeconds(stack.consumer.pid());
    const { ids, failed, failedKinds, dropped, loadgenCpuMicrosPerEvent } = await sendAt(stack.publisher, rate, stageMs);
    await sleep(1000);
    const cpuPerEvent = (pid: number | undefined, before: number) => Math.round(((cpuSeconds(pid) - before) / Math.max(1, ids.size)) * 1e6);
    const publisherCpuMicrosPerEvent = cpuPerEvent(stack.publisher.pid(), cpuBefore);
    const commits = readProcessed(stack.consumerDbPath, since).filter((r) => ids.has(r.event_id));
    const perEvent = new Map<string, number>();
    for (const c of commits) perEvent.set(c.event_id, (perEvent.get(c.event_id) ?? 0) + 1);
    const reachedAll = [...perEvent.values()].filter((n) => n >= CONSUMER_NAMES.length).length;
    const latencies = commits.map((r) => r.handled_at - r.occurred_at);
    // The consumer's CPU is read once the backlog has drained: past the ceiling it is still handling
    // the stage's events 1 s after the stage, and that work belongs to this stage's figure.
    await drained();
    const consumerCpuMicrosPerEvent = cpuPerEvent(stack.consumer.pid(), consumerCpuBefore);
    const p99Ms = percentile(latencies, 99);
    const stage: Stage = {
      rate,
      accepted: ids.size,
      failed,
      failedKinds,
      dropped,
      reachedAll,
      p50Ms: percentile(latencies, 50),
      p99Ms,
      sustained: failed === 0 && dropped === 0 && reachedAll === ids.size && p99Ms < 1000,
      publisherCpuMicrosPerEvent,
      consumerCpuMicrosPerEvent,
      loadgenCpuMicrosPerEvent,
    };
    stages.push(stage);
    log(
      `  ${label} at ${rate}/s: ${ids.size} accepted, ${reachedAll} at every consumer 1 s after the stage, p99 ${p99Ms} ms, ${failed} failed ${JSON.stringify(failedKinds)}, ${dropped} dropped, publisher ${publisherCpuMicrosPerEvent} µs CPU/event, consumer ${consumerCpuMicrosPerEvent} µs, load generator ${loadgenCpuMicrosPerEvent} µs: ${stage.sustained ? 'sustained' : 'NOT sustained'}`,
    );
    if (!stage.sustained) break;
  }
  return { stages, ceiling: stages.filter((s) => s.sustained).at(-1)?.rate ?? 0 };
}

async function endToEnd(stack: Awaited<ReturnType<typeof startStack>>, rate: number) {
  const since = Date.now();
  const { ids } = await sendAt(stack.publisher, rate, quick ? 4000 : 20_000);
  await waitFor(
    'every event to reach every consumer',
    () => readProcessed(stack.consumerDbPath, since).filter((r) => ids.has(r.event_id)).length >= ids.size * CONSUMER_NAMES.length,
    { timeoutMs: 300_000, intervalMs: 500 },
  );
  const latencies = readProcessed(stack.consumerDbPath, since)
    .filter((r) => ids.has(r.event_id))
    .map((r) => r.handled_at - r.occurred_at);
  return { rate, events: ids.size, p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95), p99Ms: percentile(latencies, 99) };
}

log('whole pipeline, SQLite outbox:');
const stack = await startStack({
  dir: path.join(dir, 'stack'),
  signingSecret: secret,
  gatewayEnv: { LOG_LEVEL: 'warn' },
  publisherEnv: { LOG_LEVEL: 'warn' },
  consumerEnv: { LOG_LEVEL: 'warn' },
});
await sleep(IDLE_SETTLE_MS);
const idleRss = { gateway: gatewayOn.idleRss, publisher: rssMb(stack.publisher.pid()), consumer: rssMb(stack.consumer.pid()) };
log(`RSS idle: gateway ${idleRss.gateway} MB, publisher ${idleRss.publisher} MB, consumer ${idleRss.consumer} MB`);
const sqliteRamp = await pipelineRamp(stack, 'sqlite');
log(`highest rate the whole pipeline sustains (SQLite outbox): ${sqliteRamp.ceiling}/s`);
const e2eAt50 = await endToEnd(stack, 50);
log(`end to end at 50/s: p50 ${e2eAt50.p50Ms} ms, p95 ${e2eAt50.p95Ms} ms, p99 ${e2eAt50.p99Ms} ms`);
const e2eAt1000 = await endToEnd(stack, quick ? 500 : 1000);
log(`end to end at ${e2eAt1000.rate}/s: p50 ${e2eAt1000.p50Ms} ms, p95 ${e2eAt1000.p95Ms} ms, p99 ${e2eAt1000.p99Ms} ms`);
const rss = { gateway: gatewayOn.rss, publisher: peakRssMb(stack.publisher.pid()), consumer: peakRssMb(stack.consumer.pid()) };
await stack.stop();

log('whole pipeline, PostgreSQL outbox:');
const pgStack = await startStack({
  dir: path.join(dir, 'stack-pg'),
  store: 'postgres',
  signingSecret: secret,
  gatewayEnv: { LOG_LEVEL: 'warn' },
  publisherEnv: { LOG_LEVEL: 'warn' },
  consumerEnv: { LOG_LEVEL: 'warn' },
});
const postgresRamp = await pipelineRamp(pgStack, 'postgres');
log(`highest rate the whole pipeline sustains (PostgreSQL outbox): ${postgresRamp.ceiling}/s`);
const pgPublisherRss = peakRssMb(pgStack.publisher.pid());
await pgStack.stop();

// 3. publish() through the library, no HTTP: durable and group-committed, against one durable
//    SQLite transaction per event measured on the same disk (the fsync rate), as the baseline.
const publishCount = quick ? 5000 : 30_000;
const events = Array.from({ length: publishCount }, (_, i) => buddyEvent(i));
const single = new DatabaseSync(path.join(dir, 'single.sqlite'));
single.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT)');
const insertOne = single.prepare('INSERT INTO t VALUES (?, ?)');
const singleCount = quick ? 300 : 2000;
let t0 = performance.now();
for (const e of events.slice(0, singleCount)) insertOne.run(e.id, JSON.stringify(e));
const oneTransactionEachPerSecond = singleCount / ((performance.now() - t0) / 1000);
single.close();
const library = createWebhookPublisher({
  store: sqliteOutbox({ database: path.join(dir, 'library.sqlite') }),
  transports: [],
  delivery: { enabled: false },
  logger: createLogger('bench', 'warn'),
});
t0 = performance.now();
for (let i = 0; i < events.length; i += 1000) await Promise.all(events.slice(i, i + 1000).map((e) => library.publish(e)));
const libraryPublishPerSecond = publishCount / ((performance.now() - t0) / 1000);
log(
  `library publish(): ${libraryPublishPerSecond.toFixed(0)} durable events/s (group commit); one transaction per event: ${oneTransactionEachPerSecond.toFixed(0)}/s`,
);

const ratio = (a: number, b: number) => +(a / b).toFixed(3);
const result = {
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version, quick, concurrency, durationMs },
  gatewayThroughput: { nodeHttp, expressEcho, gateway: gatewayOn.result, gatewayWithoutTelemetry: gatewayOff.result },
  invalidRequests,
  ratios: {
    gatewayVsExpress: ratio(gatewayOn.result.perSecond, expressEcho.perSecond),
    gatewayVsNodeHttp: ratio(gatewayOn.result.perSecond, nodeHttp.perSecond),
    expressVsNodeHttp: ratio(expressEcho.perSecond, nodeHttp.perSecond),
    telemetryOnVsOff: ratio(gatewayOn.result.perSecond, gatewayOff.result.perSecond),
  },
  targets: {
    gatewayAtLeastHalfOfExpress: gatewayOn.result.perSecond >= 0.5 * expressEcho.perSecond,
    pipelineAtLeast2500: sqliteRamp.ceiling >= 2500,
    endToEndP99At1000Under100Ms: e2eAt1000.rate === 1000 && e2eAt1000.p99Ms <= 100,
    libraryPublishAtLeast10000: libraryPublishPerSecond >= 10_000,
    publisherRssAtMost200Mb: (rss.publisher ?? Infinity) <= 200,
    everyServiceRssIdleAtMost110Mb: Object.values(idleRss).every((mb) => (mb ?? Infinity) <= 110),
    everyServiceRssPeakAtMost200Mb: Object.values(rss).every((mb) => (mb ?? Infinity) <= 200),
    generatorNotTheLimit: !generatorSaturated,
    invalidRequestsCheaperThanValid: invalidRequests.invalidBelowValid,
  },
  pipeline: { sqlite: sqliteRamp, postgres: postgresRamp },
  endToEnd: [e2eAt50, e2eAt1000],
  library: {
    publishPerSecond: Math.round(libraryPublishPerSecond),
    oneTransactionEachPerSecond: Math.round(oneTransactionEachPerSecond),
    ratio: ratio(libraryPublishPerSecond, oneTransactionEachPerSecond),
  },
  peakRssMb: { ...rss, publisherPostgres: pgPublisherRss },
  idleRssMb: idleRss,
};

const f = (n: number) => n.toFixed(0);
const md = `# Benchmark

Command: \`npm run bench${quick ? ' -- --quick' : ''}\`. ${result.machine.cpus} CPUs, Node ${result.machine.node}; closed loop, ${concurrency} concurrent requests for ${durationMs / 1000} s per target after a warm-up; every request is a fresh, signed event.

## Gateway throughput (accepted events/s, p99)

The load comes from raw keep-alive sockets in two worker threads (\`harness/bench/raw-load.ts\`); its own CPU per request is in the last column. Bare node:http must come out faster than Express, or the generator is the limit: ${generatorSaturated ? '**it did not: the ratios below mean nothing**' : 'it did'}.

| target | events/s | p99 | server CPU per request | nats-server CPU per request | generator CPU per request |
| --- | --- | --- | --- | --- | --- |
${(
  [
    ['bare node:http, answers 202', nodeHttp],
    ['bare Express 5 JSON echo, answers 202', expressEcho],
    ['gateway: zod, signature check, JetStream publish and ack', gatewayOn.result],
    ['gateway without OpenTelemetry', gatewayOff.result],
  ] as const
)
  .map(
    ([what, r]) =>
      `| ${what} | ${f(r.perSecond)} | ${r.p99Ms.toFixed(1)} ms | ${r.serverCpuMicrosPerRequest} µs | ${r.natsCpuMicrosPerRequest ?? '–'}${r.natsCpuMicrosPerRequest !== undefined ? ' µs' : ''} | ${r.generatorCpuMicrosPerRequest} µs |`,
  )
  .join('\n')}

Ratios: gateway / Express **${result.ratios.gatewayVsExpress}** (target ≥ 0.5: ${result.targets.gatewayAtLeastHalfOfExpress ? 'met' : 'NOT met'}), gateway / node:http ${result.ratios.gatewayVsNodeHttp}, Express / node:http ${result.ratios.expressVsNodeHttp}, telemetry on / off ${result.ratios.telemetryOnVsOff}.

${invalidRequestsMarkdown(invalidRequests)}
## The whole pipeline (publisher API → gateway → JetStream → three consumers)

A stage is sustained when, one second after it ends, every accepted event has reached all three consumers, its end-to-end p99 (occurredAt to inbox commit) stayed under 1 s, and no call failed or was dropped. The ramp stops at the first stage that fails.

**Ceiling: ${sqliteRamp.ceiling} events/s with the SQLite outbox (target ≥ 2,500: ${result.targets.pipelineAtLeast2500 ? 'met' : 'NOT met'}), ${postgresRamp.ceiling} events/s with the PostgreSQL outbox.**

| outbox | rate | accepted | at every consumer after 1 s | p50 | p99 | calls failed | dropped | publisher CPU per event | consumer CPU per event | load generator CPU per event | sustained |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${(['sqlite', 'postgres'] as const)
  .flatMap((k) =>
    result.pipeline[k].stages.map(
      (p) =>
        `| ${k} | ${p.rate}/s | ${p.accepted} | ${p.reachedAll} | ${p.p50Ms} ms | ${p.p99Ms} ms | ${p.failed}${
          p.failed
            ? ` (${Object.entries(p.failedKinds)
                .map(([k, n]) => `${k} ${n}`)
                .join(', ')})`
            : ''
        } | ${p.dropped} | ${p.publisherCpuMicrosPerEvent} µs | ${p.consumerCpuMicrosPerEvent} µs | ${p.loadgenCpuMicrosPerEvent} µs | ${p.sustained ? 'yes' : 'no'} |`,
    ),
  )
  .join('\n')}

End-to-end latency (SQLite outbox):

| rate | events | p50 | p95 | p99 |
| --- | --- | --- | --- | --- |
${result.endToEnd.map((e) => `| ${e.rate}/s | ${e.events} | ${e.p50Ms} ms | ${e.p95Ms} ms | ${e.p99Ms} ms |`).join('\n')}

Target at 1,000/s: p99 ≤ 100 ms: ${result.targets.endToEndP99At1000Under100Ms ? 'met' : 'NOT met'}.

## publish() through the library

${result.library.publishPerSecond} durable events/s through \`publish()\` (SQLite, group commit, ${publishCount} events, up to 1,000 concurrent), against ${result.library.oneTransactionEachPerSecond}/s with one durable transaction per event on the same disk: ratio ${result.library.ratio} (target ≥ 10,000/s: ${result.targets.libraryPublishAtLeast10000 ? 'met' : 'NOT met'}).

## Memory (RSS)

Idle is after 20 s without load (each service gives back the young generation start-up grew, 5 s after it is up); peak is the high-water mark after the gateway's throughput run (gateway) or the SQLite ramp and latency runs (publisher, consumer).

| service | idle | peak |
| --- | --- | --- |
| gateway | ${idleRss.gateway} MB | ${rss.gateway} MB |
| publisher | ${idleRss.publisher} MB | ${rss.publisher} MB (${pgPublisherRss} MB with PostgreSQL) |
| consumer | ${idleRss.consumer} MB | ${rss.consumer} MB |

Targets: idle ≤ 110 MB for every service: ${result.targets.everyServiceRssIdleAtMost110Mb ? 'met' : 'NOT met'}; peak ≤ 200 MB for every service: ${result.targets.everyServiceRssPeakAtMost200Mb ? 'met' : 'NOT met'} (publisher at the pipeline ceiling: ${result.targets.publisherRssAtMost200Mb ? 'met' : 'NOT met'}).
`;
mkdirSync(values.out, { recursive: true });
writeFileSync(path.join(values.out, 'bench.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(path.join(values.out, 'bench.md'), md);
console.log(`\n${md}\nwrote ${values.out}/bench.json and bench.md`);
