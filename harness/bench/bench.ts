// `npm run bench [-- --quick] [--out DIR]`: every number measured in one run on this machine and
// reported as ratios against baselines measured alongside it, never as absolute pass/fail timings.
import { readFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CONSUMER_NAMES } from '../../app/consumer/handlers/index.ts';
import { openOutbox } from '../../app/publisher/outbox.ts';
import { readProcessed } from '../history/consumer-log.ts';
import type { EventEnvelope } from '../../app/events/envelope.ts';
import { parseSecrets, signatureHeaders } from '../../app/signature/standard-webhooks.ts';
import { buddyEnvelope, buddyEvent } from '../load/event-factory.ts';
import { percentile, runOpenModel } from '../load/open-model.ts';
import { runPreset } from '../load/cli.ts';
import { createEvent } from '../load/publisher-client.ts';
import { startNatsServer } from '../stack/nats-server.ts';
import { freePort } from '../stack/ports.ts';
import { spawnLogged, terminate } from '../stack/processes.ts';
import { REPO_ROOT, startService } from '../stack/service.ts';
import { nothingInFlight, startStack } from '../stack/stack.ts';
import { waitFor } from '../stack/wait.ts';
import { closedLoop, type ThroughputResult } from './http-load.ts';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string', default: 'bench-results' }, concurrency: { type: 'string', default: '32' } },
});
const quick = values.quick;
const durationMs = quick ? 3000 : 15_000;
const warmupMs = quick ? 1000 : 3000;
const concurrency = Number(values.concurrency);
const dir = mkdtempSync(path.join(tmpdir(), 'bench-'));
const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const keys = parseSecrets(secret);
const log = (line: string) => console.log(line);

/** A fresh, signed event per request, for every target alike. */
const signedRequest = () => {
  const event = buddyEnvelope(3);
  const body = JSON.stringify(event);
  return { body, headers: { 'content-type': 'application/json', ...signatureHeaders(keys, event.id, Math.floor(Date.now() / 1000), body) } };
};

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

/** The server's CPU cost per answered request: the number that explains the throughput ratios. */
async function measured(pid: number | undefined, run: () => Promise<ThroughputResult>): Promise<ThroughputResult & { serverCpuMicrosPerRequest: number }> {
  const before = cpuSeconds(pid);
  const result = await run();
  const spent = cpuSeconds(pid) - before;
  // The warm-up's requests are not counted in the result, so scale them in by time.
  const requestsIncludingWarmup = result.requests * ((durationMs + warmupMs) / durationMs);
  return { ...result, serverCpuMicrosPerRequest: Math.round((spent / requestsIncludingWarmup) * 1e6) };
}

async function baseline(kind: 'http' | 'express') {
  const port = await freePort();
  const proc = spawnLogged(process.execPath, [path.join(REPO_ROOT, 'harness/bench/baseline-server.ts'), kind, String(port)], { logFile: path.join(dir, `${kind}.log`) });
  const url = `http://127.0.0.1:${port}/webhooks/buddy-events`;
  await waitFor(`${kind} baseline`, async () => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => r.status === 202).catch(() => false)));
  const result = await measured(proc.child.pid, () => closedLoop({ url, concurrency, durationMs, warmupMs, request: signedRequest }));
  await terminate(proc);
  return result;
}

// 1. Gateway throughput against bare Express and bare node:http, telemetry on and off.
log(`gateway throughput: ${concurrency} concurrent requests for ${durationMs / 1000} s each`);
const nodeHttp = await baseline('http');
log(`  node:http 202      ${nodeHttp.perSecond.toFixed(0)}/s, ${nodeHttp.serverCpuMicrosPerRequest} µs CPU per request`);
const expressEcho = await baseline('express');
log(`  express echo 202   ${expressEcho.perSecond.toFixed(0)}/s, ${expressEcho.serverCpuMicrosPerRequest} µs CPU per request`);
const nats = await startNatsServer({ dir: path.join(dir, 'nats') });
const gatewayEnv = { NATS_URL: nats.url, WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'true', WEBHOOK_SIGNATURE_SECRET: secret, LOG_LEVEL: 'warn' };
const measureGateway = async (telemetry: boolean) => {
  const gateway = await startService('gateway', { name: telemetry ? 'gateway' : 'gateway-no-telemetry', logDir: path.join(dir, 'logs'), env: gatewayEnv, telemetry, waitForHealthy: true });
  const result = await measured(gateway.pid(), () => closedLoop({ url: `${gateway.url}/webhooks/buddy-events`, concurrency, durationMs, warmupMs, request: signedRequest }));
  const rss = peakRssMb(gateway.pid());
  await gateway.stop();
  return { result, rss };
};
const gatewayOn = await measureGateway(true);
log(`  gateway            ${gatewayOn.result.perSecond.toFixed(0)}/s, ${gatewayOn.result.serverCpuMicrosPerRequest} µs CPU per request (errors ${gatewayOn.result.errors})`);
const gatewayOff = await measureGateway(false);
log(`  gateway, no OTel   ${gatewayOff.result.perSecond.toFixed(0)}/s, ${gatewayOff.result.serverCpuMicrosPerRequest} µs CPU per request`);
await nats.stop();

// 2. The whole path. The API ramp finds the highest rate the publisher accepts; the pipeline ramp
//    finds the highest rate delivered as fast as it is accepted (the outbox only buffers it, so the
//    API alone would overstate what the system sustains). Then end-to-end latency at 50 events/s
//    and at 80 % of the sustained rate.
const stack = await startStack({ dir: path.join(dir, 'stack'), signingSecret: secret, gatewayEnv: { LOG_LEVEL: 'warn' }, publisherEnv: { LOG_LEVEL: 'warn' }, consumerEnv: { LOG_LEVEL: 'warn' } });
const stageMs = quick ? 3000 : 10_000;
const ramp = await runPreset({ preset: 'ramp', publisherUrl: stack.publisher.url, stageMs, maxRate: quick ? 100 : 800, p99TargetMs: 250 });
const highest = ramp.summary.highestRateHeld ?? 0;
log(`highest rate accepted by the publisher API (p99 < 250 ms, no errors or drops): ${highest}/s`);

const drained = () => waitFor('the backlog to drain', () => nothingInFlight(stack), { timeoutMs: 600_000, intervalMs: 1000 });
/** End-to-end latency (occurredAt to inbox commit) of every handler's commits since `since`. */
const latenciesSince = (since: number) => readProcessed(stack.consumerDbPath, since).map((r) => r.handled_at - r.occurred_at);

async function sendAt(rate: number, durationMs: number) {
  const ids = new Set<string>();
  await runOpenModel({
    stages: [{ ratePerSecond: rate, durationMs }],
    maxInFlight: 1000,
    iteration: async (i) => {
      const r = await createEvent(stack.publisher.url, buddyEvent(i));
      if (r.ok) ids.add(r.id);
      return r;
    },
  });
  return ids.size;
}

// Sustained: when the stage ends, less than one second's worth of events is still on its way.
await drained();
const pipeline: { rate: number; accepted: number; backlogAtEnd: number; sustained: boolean }[] = [];
for (const stage of ramp.summary.stages.filter((s) => s.ratePerSecond <= highest)) {
  const since = Date.now();
  const accepted = await sendAt(stage.ratePerSecond, stageMs);
  const backlogAtEnd = Math.max(0, accepted - Math.floor(latenciesSince(since).length / CONSUMER_NAMES.length));
  const sustained = backlogAtEnd <= stage.ratePerSecond;
  pipeline.push({ rate: stage.ratePerSecond, accepted, backlogAtEnd, sustained });
  log(`  pipeline at ${stage.ratePerSecond}/s: ${accepted} accepted, ${backlogAtEnd} still in flight at the end: ${sustained ? 'sustained' : 'falling behind'}`);
  await drained();
  if (!sustained) break;
}
const sustainedRate = pipeline.filter((p) => p.sustained).at(-1)?.rate ?? 0;
log(`highest rate the whole pipeline sustains: ${sustainedRate}/s`);

async function endToEnd(rate: number) {
  const since = Date.now();
  const events = await sendAt(rate, quick ? 4000 : 20_000);
  await waitFor('every event to reach every consumer', () => latenciesSince(since).length >= events * CONSUMER_NAMES.length, { timeoutMs: 300_000, intervalMs: 500 });
  const latencies = latenciesSince(since);
  return { rate, events, p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95), p99Ms: percentile(latencies, 99) };
}
const e2eAt50 = await endToEnd(50);
log(`end to end at 50/s: p50 ${e2eAt50.p50Ms} ms, p95 ${e2eAt50.p95Ms} ms, p99 ${e2eAt50.p99Ms} ms`);
const e2eAt80 = await endToEnd(Math.max(1, Math.floor(sustainedRate * 0.8)));
log(`end to end at ${e2eAt80.rate}/s: p50 ${e2eAt80.p50Ms} ms, p95 ${e2eAt80.p95Ms} ms, p99 ${e2eAt80.p99Ms} ms`);

// 3. The outbox: durable enqueues per second, straight into SQLite and through the API.
const outbox = openOutbox(path.join(dir, 'outbox-bench.sqlite'));
const enqueueCount = quick ? 300 : 3000;
const events = Array.from({ length: enqueueCount }, (_, i) => buddyEnvelope(i) as EventEnvelope);
const t0 = performance.now();
for (const e of events) outbox.enqueue(e, {}, Date.now());
const outboxPerSecond = enqueueCount / ((performance.now() - t0) / 1000);
outbox.close();
log(`outbox: ${outboxPerSecond.toFixed(0)} durable enqueues/s (synchronous=FULL, one transaction each)`);
const api = await closedLoop({ url: `${stack.publisher.url}/events`, concurrency, durationMs, warmupMs, request: () => ({ body: JSON.stringify(buddyEvent(1)), headers: { 'content-type': 'application/json' } }) });
log(`publisher API: ${api.perSecond.toFixed(0)} events/s accepted (202) at concurrency ${concurrency}`);

const rss = { gateway: gatewayOn.rss, publisher: peakRssMb(stack.publisher.pid()), consumer: peakRssMb(stack.consumer.pid()) };
await stack.stop();

const ratio = (a: number, b: number) => +(a / b).toFixed(3);
const result = {
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version, quick, concurrency, durationMs },
  gatewayThroughput: { nodeHttp, expressEcho, gateway: gatewayOn.result, gatewayWithoutTelemetry: gatewayOff.result },
  ratios: {
    gatewayVsExpress: ratio(gatewayOn.result.perSecond, expressEcho.perSecond),
    gatewayVsNodeHttp: ratio(gatewayOn.result.perSecond, nodeHttp.perSecond),
    expressVsNodeHttp: ratio(expressEcho.perSecond, nodeHttp.perSecond),
    telemetryOnVsOff: ratio(gatewayOn.result.perSecond, gatewayOff.result.perSecond),
  },
  targets: { gatewayAtLeastHalfOfExpress: gatewayOn.result.perSecond >= 0.5 * expressEcho.perSecond },
  highestRateHeld: highest,
  pipeline,
  sustainedRate,
  ramp: ramp.summary.stages.map((s) => ({ rate: s.ratePerSecond, p99Ms: s.latencyMs.p99, held: s.held })),
  endToEnd: [e2eAt50, e2eAt80],
  outbox: { durableEnqueuesPerSecond: Math.round(outboxPerSecond), apiEventsPerSecond: Math.round(api.perSecond) },
  peakRssMb: rss,
};

const f = (n: number) => n.toFixed(0);
const md = `# Benchmark

Command: \`npm run bench${quick ? ' -- --quick' : ''}\`. ${result.machine.cpus} CPUs, Node ${result.machine.node}; closed loop, ${concurrency} concurrent requests for ${durationMs / 1000} s per target after a warm-up; every request is a fresh, signed event.

## Gateway throughput (accepted events/s, p99)

| target | events/s | p99 | server CPU per request |
| --- | --- | --- | --- |
| bare node:http, answers 202 | ${f(nodeHttp.perSecond)} | ${nodeHttp.p99Ms.toFixed(1)} ms | ${nodeHttp.serverCpuMicrosPerRequest} µs |
| bare Express 5 JSON echo, answers 202 | ${f(expressEcho.perSecond)} | ${expressEcho.p99Ms.toFixed(1)} ms | ${expressEcho.serverCpuMicrosPerRequest} µs |
| gateway: zod, signature check, JetStream publish and ack | ${f(gatewayOn.result.perSecond)} | ${gatewayOn.result.p99Ms.toFixed(1)} ms | ${gatewayOn.result.serverCpuMicrosPerRequest} µs |
| gateway without OpenTelemetry | ${f(gatewayOff.result.perSecond)} | ${gatewayOff.result.p99Ms.toFixed(1)} ms | ${gatewayOff.result.serverCpuMicrosPerRequest} µs |

Ratios: gateway / Express **${result.ratios.gatewayVsExpress}** (target ≥ 0.5: ${result.targets.gatewayAtLeastHalfOfExpress ? 'met' : 'NOT met'}), gateway / node:http ${result.ratios.gatewayVsNodeHttp}, Express / node:http ${result.ratios.expressVsNodeHttp}, telemetry on / off ${result.ratios.telemetryOnVsOff}.

## End to end (publisher occurredAt to consumer commit)

Highest rate accepted by the publisher API (ramp, p99 under 250 ms, no errors or drops): **${highest} events/s**.
Highest rate the whole pipeline sustains (less than a second's worth of events in flight when a ${stageMs / 1000} s stage ends): **${sustainedRate} events/s**.

| pipeline stage | accepted | in flight at the end | sustained |
| --- | --- | --- | --- |
${pipeline.map((p) => `| ${p.rate}/s | ${p.accepted} | ${p.backlogAtEnd} | ${p.sustained ? 'yes' : 'no'} |`).join('\n')}

End-to-end latency at 50 events/s and at 80 % of the sustained rate:

| rate | events | p50 | p95 | p99 |
| --- | --- | --- | --- | --- |
${result.endToEnd.map((e) => `| ${e.rate}/s | ${e.events} | ${e.p50Ms} ms | ${e.p95Ms} ms | ${e.p99Ms} ms |`).join('\n')}

## Publisher outbox

${result.outbox.durableEnqueuesPerSecond} durable enqueues/s straight into SQLite (WAL, synchronous=FULL, a transaction each); ${result.outbox.apiEventsPerSecond} events/s accepted through POST /events at concurrency ${concurrency}.

## Peak memory (RSS)

gateway ${rss.gateway} MB, publisher ${rss.publisher} MB, consumer ${rss.consumer} MB.
`;
mkdirSync(values.out, { recursive: true });
writeFileSync(path.join(values.out, 'bench.json'), JSON.stringify(result, null, 2) + '\n');
writeFileSync(path.join(values.out, 'bench.md'), md);
console.log(`\n${md}\nwrote ${values.out}/bench.json and bench.md`);
