// chaos.json, chaos.md and chaos-timeline.svg for a run (or two runs side by side).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { lineChart } from '../../observability/charts/svg-chart.ts';
import type { ChaosRun } from './run.ts';

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');

export function chaosMarkdown(runs: ChaosRun[]): string {
  const lines = ['# Chaos run', ''];
  for (const run of runs) {
    const o = run.options;
    const r = run.result;
    lines.push(
      `## Design: ${o.design}, fault: ${o.fault}, transport mode: ${o.transportMode ?? 'webhook'}, store: ${o.store ?? 'sqlite'}, publishers: ${o.publishers ?? 1}`,
      '',
      `**Verdict: ${r.valid ? 'valid' : 'INVALID'}**${r.reasons.length ? ` (${r.reasons.join('; ')})` : ' (lost = 0 and unexpected = 0 for every consumer)'}`,
      '',
      `${o.events} events at ${o.rate}/s; ${run.faults.length} fault(s), one every ${o.faultIntervalMs / 1000} s for ${o.downtimeMs / 1000} s; ran ${((run.endedAt - run.startedAt) / 1000).toFixed(0)} s including the drain.`,
      `Invoked ${r.attempted}: acknowledged ${r.acknowledged}, refused ${r.failed}, unknown ${r.unknown}; ${r.acceptedByGateway} reached the JetStream stream.`,
      '',
      '| consumer | attempted | acknowledged | delivered | lost | duplicated | recovered | unexpected | dead-lettered | latency p50 | p95 | p99 | max |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...r.consumers.map(
        (c) =>
          `| ${c.consumer} | ${c.attempted} | ${c.acknowledged} | ${c.delivered} | ${c.lost} | ${c.duplicated} | ${c.recovered} | ${c.unexpected} | ${c.deadLettered} | ${ms(c.latencyMs.p50)} | ${ms(c.latencyMs.p95)} | ${ms(c.latencyMs.p99)} | ${ms(c.latencyMs.max)} |`,
      ),
      '',
    );
    const examples = r.consumers.flatMap((c) => [
      ...c.examples.lost.map((id) => `lost at ${c.consumer}: ${id}`),
      ...c.examples.duplicated.map((id) => `duplicated at ${c.consumer}: ${id}`),
    ]);
    if (examples.length) lines.push('Examples:', '', ...examples.slice(0, 10).map((e) => `- ${e}`), '');
  }
  lines.push(
    'Lost: acknowledged (202 from the publisher) and never handled. Duplicated: handled more than once by one consumer. Recovered: the call timed out or broke, yet the event arrived. Unexpected: handled without a successful call. Valid only with lost = 0 and unexpected = 0.',
    '',
  );
  return lines.join('\n');
}

export function chaosTimelineSvg(run: ChaosRun): string {
  const t = run.timeline;
  const markers = run.faults.map((f) => ({ x: (f.at - run.startedAt) / 1000, label: f.label, color: '#dc2626' }));
  const common = { xStart: 0, xEnd: Math.max(1, t.length), markers, xFormat: (x: number) => `${Math.round(x)} s`, width: 900, height: 220 };
  const throughput = lineChart(
    [
      { name: 'acknowledged/s', color: '#2563eb', points: t.map((p) => [p.second, p.acknowledged]) },
      { name: 'delivered/s (q2q-ai)', color: '#16a34a', points: t.map((p) => [p.second, p.delivered]) },
    ],
    { ...common, title: 'Throughput (red lines: faults)', yFormat: (v) => `${Math.round(v)}/s`, yMin: 0 },
  );
  const latency = lineChart([{ name: 'delivery latency p95', color: '#d97706', points: t.map((p) => [p.second, p.p95LatencyMs]) }], {
    ...common,
    title: 'Invocation to delivery, p95 per second',
    yFormat: (v) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`),
    yMin: 0,
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="460" viewBox="0 0 900 460">
<text x="8" y="14" font-size="12" font-family="sans-serif">Chaos: design ${run.options.design}, fault ${run.options.fault}</text>
<g transform="translate(0,16)">${throughput}</g><g transform="translate(0,238)">${latency}</g></svg>
`;
}

export function writeChaosReport(runs: ChaosRun[], outDir: string): string[] {
  const files: string[] = [];
  const write = (name: string, content: string) => {
    writeFileSync(path.join(outDir, name), content);
    files.push(path.join(outDir, name));
  };
  write(
    'chaos.json',
    `${JSON.stringify(
      runs.map(({ history, ...run }) => ({ ...run, historySize: history.length })),
      null,
      2,
    )}\n`,
  );
  write('chaos.md', chaosMarkdown(runs));
  for (const run of runs) write(runs.length > 1 ? `chaos-timeline-${run.options.design}.svg` : 'chaos-timeline.svg', chaosTimelineSvg(run));
  return files;
}
