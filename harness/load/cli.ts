// `npm run load -- --preset sustained|burst|ramp [options]`: open-model load on the publisher API.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { lineChart } from '../../observability/charts/svg-chart.ts';
import { readProcessed } from '../inbox-reader/consumer-log.ts';
import { startStack, type Stack } from '../stack/stack.ts';
import { readTokenFile } from '../stack/token-file.ts';
import { httpOk, waitFor } from '../stack/wait.ts';
import { buddyEvent } from './event-factory.ts';
import { runOpenModel } from './open-model.ts';
import { lostAtConsumers, PRESETS, summarizeLoad, type LoadSummary, type PresetName } from './presets.ts';
import { createEvent } from './publisher-client.ts';

const USAGE = `npm run load -- --preset sustained|burst|ramp [options]

Open-model (constant arrival rate) load on the publisher's POST /events, like k6's
constant-arrival-rate: iterations start on schedule; when --max-in-flight are busy they are dropped
and counted. Writes load.json, load.md and load-latency.svg to --out.

  --preset P            sustained (50/s for --duration), burst (200 extra events in 10 s on top of
                        50/s, 180 of them in the first second), ramp (25, 50, 100, …/s)
  --publisher-url URL   the publisher to drive (default http://127.0.0.1:3001, the demo's)
  --api-token-file F    a file holding the publisher's PUBLISHER_API_TOKEN, when it has one
  --start-stack         start a private stack (nats-server, gateway, consumers, publisher) instead
  --rate N              sustained: events per second (default 50)
  --duration S          sustained: seconds (default 60)
  --stage S             ramp: seconds per stage (default 15)
  --max-rate N          ramp: the highest stage (default 800)
  --p99-target-ms N     ramp: the p99 a stage must stay under to count as held (default 250)
  --max-in-flight N     concurrent iterations before dropping (default 500)
  --out DIR             where to write the results (default load-results)
`;

export async function runPreset(options: {
  preset: PresetName;
  publisherUrl: string;
  apiToken?: string;
  rate?: number;
  durationMs?: number;
  stageMs?: number;
  maxRate?: number;
  p99TargetMs?: number;
  maxInFlight?: number;
}) {
  const stages = PRESETS[options.preset](options);
  const accepted: string[] = [];
  const run = await runOpenModel({
    stages,
    maxInFlight: options.maxInFlight ?? 500,
    iteration: async (i) => {
      const result = await createEvent({ url: options.publisherUrl, apiToken: options.apiToken }, buddyEvent(i));
      if (result.ok) accepted.push(result.id);
      return result;
    },
  });
  const summary = summarizeLoad(run, stages, options.preset === 'ramp' ? (options.p99TargetMs ?? 250) : undefined);
  return { run, stages, summary, accepted };
}

const f = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a');

export function loadMarkdown(preset: string, publisherUrl: string, s: LoadSummary): string {
  return [
    `# Load: ${preset}`,
    '',
    `Target: ${publisherUrl}/events. Scheduled ${s.scheduled}, completed ${s.completed}, dropped ${s.dropped}; achieved ${s.achievedPerSecond.toFixed(1)} events/s.`,
    `Latency (202 responses): p50 ${f(s.latencyMs.p50)}, p95 ${f(s.latencyMs.p95)}, p99 ${f(s.latencyMs.p99)}, max ${f(s.latencyMs.max)}.`,
    ...(s.lostByConsumer ? [`Lost (accepted, never handled) per consumer: ${JSON.stringify(s.lostByConsumer)}.`] : []),
    `Errors by kind: ${
      Object.entries(s.errorsByKind)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    }.`,
    ...(s.highestRateHeld !== undefined
      ? [`Highest rate held (p99 under target, no errors, nothing dropped): **${s.highestRateHeld} events/s**.`]
      : []),
    '',
    '| stage rate | scheduled | completed | errors | dropped | achieved/s | p50 | p95 | p99 | held |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...s.stages.map(
      (st) =>
        `| ${Math.round(st.ratePerSecond * 10) / 10}/s | ${st.scheduled} | ${st.completed} | ${st.errors} | ${st.dropped} | ${st.achievedPerSecond.toFixed(1)} | ${f(st.latencyMs.p50)} | ${f(st.latencyMs.p95)} | ${f(st.latencyMs.p99)} | ${st.held ? 'yes' : 'no'} |`,
    ),
    '',
  ].join('\n');
}

async function main() {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string', default: 'sustained' },
      'publisher-url': { type: 'string', default: 'http://127.0.0.1:3001' },
      'api-token-file': { type: 'string' },
      'start-stack': { type: 'boolean', default: false },
      rate: { type: 'string' },
      duration: { type: 'string' },
      stage: { type: 'string' },
      'max-rate': { type: 'string' },
      'p99-target-ms': { type: 'string' },
      'max-in-flight': { type: 'string' },
      out: { type: 'string', default: 'load-results' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(USAGE);
  if (!(values.preset in PRESETS)) {
    process.stderr.write(`load: unknown preset "${values.preset}"\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  let stack: Stack | undefined;
  let publisherUrl = values['publisher-url'];
  if (values['start-stack']) {
    stack = await startStack({ dir: mkdtempSync(path.join(tmpdir(), 'load-stack-')) });
    publisherUrl = stack.publisher.url;
  } else if (!(await httpOk(`${publisherUrl}/health`))) {
    process.stderr.write(`load: no publisher answers at ${publisherUrl}/health; start one with "npm run demo", or pass --start-stack\n`);
    process.exitCode = 1;
    return;
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const { run, summary, accepted } = await runPreset({
    preset: values.preset as PresetName,
    publisherUrl,
    apiToken: values['api-token-file'] ? readTokenFile(values['api-token-file']) : undefined,
    rate: num(values.rate),
    durationMs: values.duration ? Number(values.duration) * 1000 : undefined,
    stageMs: values.stage ? Number(values.stage) * 1000 : undefined,
    maxRate: num(values['max-rate']),
    p99TargetMs: num(values['p99-target-ms']),
    maxInFlight: num(values['max-in-flight']),
  });
  if (stack) {
    // Our own stack: every accepted event must reach every consumer (bounded wait, then count).
    const consumers = Object.keys(
      ((await (await fetch(`${stack.consumer.url}/health`)).json()) as { consumers: Record<string, unknown> }).consumers,
    );
    const inboxPath = stack.consumerDbPath;
    const lost = () => lostAtConsumers(accepted, readProcessed(inboxPath), consumers);
    await waitFor('every accepted event at every consumer', () => Object.values(lost()).every((n) => n === 0), {
      timeoutMs: 60_000,
      intervalMs: 500,
    }).catch(() => undefined);
    summary.lostByConsumer = lost();
    await stack.stop();
  }
  mkdirSync(values.out, { recursive: true });
  writeFileSync(path.join(values.out, 'load.json'), `${JSON.stringify({ preset: values.preset, publisherUrl, summary }, null, 2)}\n`);
  writeFileSync(path.join(values.out, 'load.md'), loadMarkdown(values.preset, publisherUrl, summary));
  // Latency of each iteration against its scheduled start, seconds into the run.
  const points = run.records
    .map((r) => [(r.scheduledAt - run.startedAt) / 1000, r.ok ? r.latencyMs : null] as [number, number | null])
    .sort((a, b) => a[0] - b[0]);
  writeFileSync(
    path.join(values.out, 'load-latency.svg'),
    lineChart([{ name: 'latency per iteration', color: '#2563eb', points }], {
      title: `Load ${values.preset}: latency`,
      yFormat: (v) => `${Math.round(v)} ms`,
      yMin: 0,
      xStart: 0,
      xEnd: (run.endedAt - run.startedAt) / 1000,
      xFormat: (x) => `${Math.round(x)} s`,
      width: 900,
    }),
  );
  process.stdout.write(loadMarkdown(values.preset, publisherUrl, summary));
  console.log(`wrote ${values.out}/load.json, load.md, load-latency.svg`);
}

if (import.meta.main) await main();
