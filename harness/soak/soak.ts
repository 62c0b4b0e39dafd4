// `npm run soak -- --duration 24h [--rate 50]`: steady load on a private stack while sampling every
// service, then a verdict per series (harness/soak/verdict.ts). Writes soak.json, soak.md and charts.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { lineChart } from '../../observability/charts/svg-chart.ts';
import { buddyEvent } from '../load/event-factory.ts';
import { runOpenModel } from '../load/open-model.ts';
import { createEvent } from '../load/publisher-client.ts';
import { DEFAULT_MAX_IN_FLIGHT } from '../../app/publisher/config.ts';
import { startStack } from '../stack/stack.ts';
import { sampleStack } from './sample.ts';
import { judgeSoak, type SoakSample, type SoakVerdict } from './verdict.ts';

const USAGE = `npm run soak -- [--duration 24h] [--rate 50] [options]

Starts a private stack (nats-server, gateway, consumers, publisher), drives the publisher at a
constant arrival rate, samples every service, and judges each series by its least-squares slope
after warm-up. Writes soak.json, soak.md and one SVG chart per measure to --out; exits 1 on a leak.

  --duration D          how long to load: 90s, 5m, 24h (default 24h)
  --rate N              events per second (default 50)
  --sample-every D      sampling interval (default: duration / 300, at least 2 s)
  --warmup D            not judged (default: a fifth of the duration, at most 1h)
  --inbox-retention D   CONSUMER_INBOX_RETENTION_MS for the run (default: half the warm-up)
  --dual-path-retention D  PUBLISHER_DUAL_PATH_RETENTION_MS for the run (default: half the warm-up)
  --transport M         the publisher's mode: webhook (default) or dual (fills the dual-path table)
  --out DIR             where to write the results (default soak-results)

The retentions default to half the warm-up, not the services' 14 days: the inbox, the delivery log
and the dual-path table then reach their rolling steady state before judging starts, so the soak
proves the retention rule holds instead of calling a table that is still filling a leak. Pass
336h to run with the services' default.
`;

const LOAD_MAX_IN_FLIGHT = 500;

/** "90s", "5m", "24h", "1500ms" -> milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: "${text}" (use e.g. 90s, 5m, 24h)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

export type SoakOptions = {
  dir: string;
  durationMs: number;
  ratePerSecond: number;
  sampleEveryMs?: number;
  warmupMs?: number;
  /** CONSUMER_INBOX_RETENTION_MS for the run (default: defaultSoakRetentionMs). */
  inboxRetentionMs?: number;
  /** PUBLISHER_DUAL_PATH_RETENTION_MS for the run (default: defaultSoakRetentionMs). */
  dualPathRetentionMs?: number;
  /** The publisher's transport mode: dual fills the dual-path table (default webhook). */
  transport?: 'webhook' | 'dual';
};

export type SoakResult = {
  options: Omit<SoakOptions, 'dir'>;
  load: { scheduled: number; accepted: number; errors: number; dropped: number };
  samples: SoakSample[];
  verdict: SoakVerdict;
};

/**
 * Half the warm-up (at least 1 s): a table under retention fills for one retention, plus at most a
 * sweep interval (a quarter of it), then holds a rolling window, so it is steady before judging
 * starts. With the services' 14 days a run of hours would judge a table still filling.
 */
export function defaultSoakRetentionMs(warmupMs: number): number {
  return Math.max(1000, Math.floor(warmupMs / 2));
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const sampleEveryMs = options.sampleEveryMs ?? Math.max(2000, Math.floor(options.durationMs / 300));
  const warmupMs = options.warmupMs ?? Math.min(3600_000, Math.floor(options.durationMs / 5));
  const inboxRetentionMs = options.inboxRetentionMs ?? defaultSoakRetentionMs(warmupMs);
  const dualPathRetentionMs = options.dualPathRetentionMs ?? defaultSoakRetentionMs(warmupMs);
  const stack = await startStack({
    dir: options.dir,
    consumerEnv: { CONSUMER_INBOX_RETENTION_MS: String(inboxRetentionMs) },
    publisherEnv: {
      ...(options.transport ? { PUBLISHER_TRANSPORT: options.transport } : {}),
      PUBLISHER_DUAL_PATH_RETENTION_MS: String(dualPathRetentionMs),
    },
  });
  const samples: SoakSample[] = [];
  const started = performance.now();
  try {
    let sampling = Promise.resolve();
    const takeSample = () => {
      sampling = sampling.then(async () => {
        const t = (performance.now() - started) / 1000;
        samples.push({ t: Math.round(t * 10) / 10, values: await sampleStack(stack) });
      });
    };
    takeSample();
    const timer = setInterval(takeSample, sampleEveryMs);
    let accepted = 0;
    const run = await runOpenModel({
      stages: [{ ratePerSecond: options.ratePerSecond, durationMs: options.durationMs }],
      maxInFlight: LOAD_MAX_IN_FLIGHT,
      iteration: async (i) => {
        const r = await createEvent(stack.publisher, buddyEvent(i));
        if (r.ok) accepted++;
        return r;
      },
    });
    clearInterval(timer);
    takeSample();
    await sampling;
    const verdict = judgeSoak(samples, {
      warmupSeconds: warmupMs / 1000,
      ratePerSecond: options.ratePerSecond,
      // The publisher holds the load generator's requests and its own to the gateway, whose other
      // end is the gateway's: both pools swing with any stall (seen: +200 fds in 2 s, then back).
      socketPools: { publisher: LOAD_MAX_IN_FLIGHT + DEFAULT_MAX_IN_FLIGHT, gateway: DEFAULT_MAX_IN_FLIGHT },
    });
    return {
      options: {
        durationMs: options.durationMs,
        ratePerSecond: options.ratePerSecond,
        sampleEveryMs,
        warmupMs,
        inboxRetentionMs,
        dualPathRetentionMs,
        transport: options.transport,
      },
      load: {
        scheduled: run.records.length + run.dropped,
        accepted,
        errors: run.records.filter((r) => !r.ok).length,
        dropped: run.dropped,
      },
      samples,
      verdict,
    };
  } finally {
    await stack.stop();
  }
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c'];

function format(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'bytes') return `${(value / 2 ** 20).toFixed(1)} MiB`;
  if (unit === 's') return `${(value * 1000).toFixed(1)} ms`;
  return `${Math.round(value * 10) / 10} ${unit}`;
}

/** One chart per measure, every service on it. */
export function soakCharts(result: SoakResult): Record<string, string> {
  const measures = [...new Set(result.verdict.series.map((s) => s.series.slice(s.series.indexOf('.') + 1)))];
  const end = result.samples.at(-1)?.t ?? 1;
  return Object.fromEntries(
    measures.map((measure) => {
      const series = result.verdict.series.filter((s) => s.series.endsWith(`.${measure}`));
      const unit = series[0]?.unit ?? '';
      return [
        `soak-${measure}.svg`,
        lineChart(
          series.map((s, i) => ({
            name: s.series,
            color: COLORS[i % COLORS.length]!,
            points: result.samples.map((x) => [x.t, x.values[s.series] ?? null] as [number, number | null]),
          })),
          {
            title: `Soak: ${measure}`,
            yFormat: (v) => format(v, unit),
            yMin: 0,
            xStart: 0,
            xEnd: end,
            xFormat: (x) => (end > 7200 ? `${(x / 3600).toFixed(1)} h` : `${Math.round(x)} s`),
            width: 900,
          },
        ),
      ];
    }),
  );
}

export function soakMarkdown(result: SoakResult, charts: string[]): string {
  const { options: o, load, verdict: v } = result;
  return [
    '# Soak',
    '',
    `${o.ratePerSecond} events/s for ${o.durationMs / 1000} s; a sample every ${o.sampleEveryMs! / 1000} s; warm-up ${o.warmupMs! / 1000} s, then ${v.judgedSeconds.toFixed(0)} s judged.` +
      (o.transport ? ` Publisher transport ${o.transport}.` : ''),
    `Retention: inbox and delivery log ${o.inboxRetentionMs! / 1000} s, dual-path table ${o.dualPathRetentionMs! / 1000} s` +
      " (unless given, half the warm-up, not the services' 14 days: each table fills for one retention and holds a rolling window before judging starts).",
    `Load: ${load.scheduled} scheduled, ${load.accepted} accepted, ${load.errors} errors, ${load.dropped} dropped.`,
    '',
    `**Verdict: ${v.ok ? 'no leak' : `leak in ${v.leaks.join(', ')}`}.** A series leaks when its least-squares slope × the judged window exceeds its allowance (harness/soak/verdict.ts says why each is what it is).`,
    '',
    '| series | level (median) | slope per hour | growth over window | allowance | leak |',
    '| --- | --- | --- | --- | --- | --- |',
    ...v.series.map(
      (s) =>
        `| ${s.series} | ${format(s.level, s.unit)} | ${format(s.slopePerHour, s.unit)} | ${format(s.growth, s.unit)} | ${Number.isFinite(s.allowance) ? format(s.allowance, s.unit) : 'not judged'} | ${s.leak ? '**yes**' : 'no'} |`,
    ),
    '',
    ...charts.map((c) => `![${c}](${c})`),
    '',
  ].join('\n');
}

export function writeSoakReport(out: string, result: SoakResult): void {
  mkdirSync(out, { recursive: true });
  const charts = soakCharts(result);
  for (const [file, svg] of Object.entries(charts)) writeFileSync(path.join(out, file), svg);
  writeFileSync(path.join(out, 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(out, 'soak.md'), soakMarkdown(result, Object.keys(charts)));
}

async function main() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '24h' },
      rate: { type: 'string', default: '50' },
      'sample-every': { type: 'string' },
      warmup: { type: 'string' },
      'inbox-retention': { type: 'string' },
      'dual-path-retention': { type: 'string' },
      transport: { type: 'string', default: 'webhook' },
      out: { type: 'string', default: 'soak-results' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(USAGE);
  const opt = (v: string | undefined) => (v === undefined ? undefined : parseDuration(v));
  if (values.transport !== 'webhook' && values.transport !== 'dual')
    throw new Error(`--transport must be webhook or dual, not "${values.transport}"`);
  const rate = Number(values.rate);
  if (!(rate > 0)) throw new Error(`--rate must be a positive number, not "${values.rate}"`);
  const result = await runSoak({
    dir: mkdtempSync(path.join(tmpdir(), 'soak-stack-')),
    durationMs: parseDuration(values.duration),
    ratePerSecond: rate,
    sampleEveryMs: opt(values['sample-every']),
    warmupMs: opt(values.warmup),
    inboxRetentionMs: opt(values['inbox-retention']),
    dualPathRetentionMs: opt(values['dual-path-retention']),
    transport: values.transport,
  });
  writeSoakReport(values.out, result);
  process.stdout.write(soakMarkdown(result, []));
  console.log(`wrote ${values.out}/soak.json, soak.md and charts`);
  if (!result.verdict.ok) process.exitCode = 1;
}

if (import.meta.main) await main();
