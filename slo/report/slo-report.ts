// `npm run slo:report -- --prometheus-url URL --out DIR [--window 30d|month] [--at TIME]`
// Writes report.json, report.md and report.html (self-contained) for the SLOs in slo/event-bus.slo.yml.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { coverageLabel } from '../coverage.ts';
import { loadSloSpecs, type SloSpec } from '../spec.ts';
import { assess, chartSeries } from './assess.ts';
import { gatherSlo, resolveWindow } from './gather.ts';
import { checkReachable, PrometheusUnreachable } from './prometheus-api.ts';
import { renderHtml, renderMarkdown, type Report } from './render.ts';

const USAGE =
  'usage: npm run slo:report -- --prometheus-url URL --out DIR [--window 30d|7d|month] [--at ISO-8601|unix-seconds] [--slo-file FILE]';

export async function buildReport(options: { prometheusUrl: string; window?: string; at: number; specs: SloSpec[] }): Promise<Report> {
  const { prometheusUrl, specs, at } = options;
  await checkReachable(prometheusUrl);
  const defaultWindow = specs[0]?.window.duration ?? '30d';
  const window = resolveWindow(options.window ?? defaultWindow, at);
  const slos = [];
  for (const spec of specs) {
    const data = await gatherSlo(prometheusUrl, spec, window);
    slos.push({
      name: spec.name,
      displayName: spec.displayName,
      description: spec.description,
      service: spec.service,
      ...assess(data.raw),
      series: {
        time: data.steps.map((s) => s.time),
        stepSeconds: data.stepSeconds,
        ...chartSeries(data.steps, spec.objective, data.raw.coverage, window.end),
      },
    });
  }
  return { generatedAt: new Date().toISOString(), prometheusUrl, at: new Date(at * 1000).toISOString(), window, slos };
}

export function writeReport(report: Report, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const files = {
    'report.json': `${JSON.stringify(report, null, 2)}\n`,
    'report.md': renderMarkdown(report),
    'report.html': renderHtml(report),
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(outDir, name), content);
  return Object.keys(files).map((name) => path.join(outDir, name));
}

function parseTime(value: string | undefined): number {
  if (!value) return Math.floor(Date.now() / 1000);
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`--at: not a time: ${value}`);
  return ms / 1000;
}

const parseReportArgs = () =>
  parseArgs({
    options: {
      'prometheus-url': { type: 'string' },
      out: { type: 'string' },
      window: { type: 'string' },
      at: { type: 'string' },
      'slo-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;

async function main(): Promise<number> {
  let values: ReturnType<typeof parseReportArgs>;
  try {
    values = parseReportArgs();
  } catch (err) {
    console.error(`slo:report: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values['prometheus-url'] || !values.out) {
    console.error(`slo:report: --prometheus-url and --out are required\n${USAGE}`);
    return 2;
  }
  try {
    const report = await buildReport({
      prometheusUrl: values['prometheus-url'],
      window: values.window,
      at: parseTime(values.at),
      specs: loadSloSpecs(values['slo-file']),
    });
    const files = writeReport(report, values.out);
    for (const s of report.slos)
      console.log(
        `${s.displayName.padEnd(20)} ${s.status.padEnd(17)} data ${coverageLabel(s.coverage.seconds, s.coverage.windowSeconds).padEnd(14)} achieved ${s.achieved === null ? 'n/a' : `${(s.achieved * 100).toFixed(3)}%`}  budget left ${s.budgetRemaining === null ? 'n/a' : `${(s.budgetRemaining * 100).toFixed(1)}%`}`,
      );
    console.log(`wrote ${files.join(', ')}`);
    return 0;
  } catch (err) {
    if (err instanceof PrometheusUnreachable) {
      console.error(`slo:report: ${err.message}. Is Prometheus running? (npm run demo starts one on 127.0.0.1:9090)`);
      return 3;
    }
    console.error(`slo:report: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) process.exitCode = await main();
