// An hour of made-up history for every series the dashboards query, as OpenMetrics for
// `promtool tsdb create-blocks-from openmetrics`. It is read off the dashboards themselves (each
// selector's matchers, each `by (…)` label), so a new panel gets data without editing this file.
// Values are chosen to stress the layout: 18 error series, durations over a minute, five-digit gauges.
// ALERTS is left out on purpose: a healthy Alerts panel must say "none firing".
import { LAG_BUCKETS_SECONDS } from '../../app/telemetry/metric-catalog.ts';
import { parsePromql, selectors } from '../../observability/promql/analysis.ts';
import { expandVariables } from '../validate.ts';

type Labels = Record<string, string>;
type Dashboard = { panels: { targets?: { expr?: string; legendFormat?: string }[] }[] };

/** Values for labels that panels group by; a label not listed gets one value. */
export function labelValues(sloNames: readonly string[]): Record<string, readonly string[]> {
  return {
    reason: ['bus_unavailable', 'injected_fault', 'connection', 'timeout'],
    consumer: ['journey', 'q2q-ai', 'safety'],
    event_type: ['buddy.match.created', 'buddy.checkin.completed', 'journey.step.completed', 'safety.report.filed'],
    job: ['webhook-gateway', 'webhook-publisher', 'event-consumer'],
    instance: ['127.0.0.1:33315'],
    mode: ['dual', 'nats', 'webhook'],
    slo: sloNames,
    faster: ['nats'],
  };
}

const LITERAL_ALTERNATION = /^[\w.:/-]+(\|[\w.:/-]+)*$/;

function product(choices: [string, readonly string[]][]): Labels[] {
  return choices.reduce<Labels[]>((sets, [label, values]) => sets.flatMap((s) => values.map((v) => ({ ...s, [label]: v }))), [{}]);
}

/** Every (metric, labels) the dashboards need for each panel to have series. */
export function seriesFor(dashboards: readonly Dashboard[], values: Record<string, readonly string[]>): Map<string, Labels[]> {
  const out = new Map<string, Map<string, Labels>>();
  for (const target of dashboards.flatMap((d) => d.panels.flatMap((p) => p.targets ?? []))) {
    const expr = expandVariables(target.expr ?? '');
    // Labels the result keeps (by …) or the legend names ({{slo}}) get several values.
    const grouped = new Set([
      ...[...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim())),
      ...[...(target.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!),
    ]);
    grouped.delete('le');
    for (const s of selectors(parsePromql(expr))) {
      if (!s.metric || s.metric === 'ALERTS') continue;
      const choices = new Map<string, readonly string[]>();
      for (const label of grouped) choices.set(label, values[label] ?? ['a']);
      for (const m of s.matchers) {
        if (m.label === '__name__') continue;
        if (m.op === '=') choices.set(m.label, [m.value]);
        else if (m.op === '=~' && LITERAL_ALTERNATION.test(m.value)) {
          const alternatives = m.value.split('|');
          choices.set(m.label, grouped.has(m.label) ? alternatives : alternatives.slice(0, 1));
        }
      }
      const series = out.get(s.metric) ?? new Map<string, Labels>();
      for (const labels of product([...choices])) series.set(JSON.stringify(Object.entries(labels).sort()), labels);
      out.set(s.metric, series);
    }
  }
  // A series whose labels another one extends adds nothing (the longer one matches its selector too) but an unlabelled line.
  const isExtendedBy = (a: Labels, b: Labels) =>
    Object.keys(b).length > Object.keys(a).length && Object.entries(a).every(([k, v]) => b[k] === v);
  return new Map(
    [...out].map(([metric, series]) => {
      const sets = [...series.values()];
      return [metric, sets.filter((a) => !sets.some((b) => isExtendedBy(a, b)))];
    }),
  );
}

/** A gauge's value at time t for the k-th series: each kind of gauge in the range it has in life. */
function gaugeValue(metric: string, labels: Labels, wave: number): number {
  if (/objective/.test(metric)) return 0.99;
  if (/error_budget_remaining/.test(metric)) return 0.6 + 0.2 * wave;
  if (/burn_rate/.test(metric)) return 2.5 * wave;
  if (/ratio/.test(metric)) return 0.01 * wave;
  if (/_seconds/.test(metric)) return 0.2 * wave;
  if (/fault_active/.test(metric)) return 0;
  if (/transport/.test(metric)) return labels.mode === 'dual' ? 1 : 0;
  if (/^up$|enabled|_ok$|connected/.test(metric)) return 1;
  return Math.round(15_000 * wave);
}

const HISTOGRAM_MEDIAN_SECONDS = (metric: string) => (/lag|end_to_end/.test(metric) ? 20 : 0.004);

export type HistoryOptions = { end: number; minutes?: number; stepSeconds?: number };

export function layoutHistoryOpenMetrics(series: Map<string, Labels[]>, { end, minutes = 65, stepSeconds = 15 }: HistoryOptions): string {
  const times = Array.from({ length: (minutes * 60) / stepSeconds + 1 }, (_, i) => end - minutes * 60 + i * stepSeconds);
  const text = (labels: Labels) =>
    Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
  const lines: string[] = [];
  let k = 0;
  for (const [metric, sets] of [...series].sort(([a], [b]) => a.localeCompare(b))) {
    const counter = /_(total|count|sum)$/.test(metric);
    const bucket = metric.endsWith('_bucket');
    for (const labels of sets) {
      k++;
      // A slow wave between 0.2 and 1, shifted per series, so lines cross and move.
      const wave = (t: number) => 0.6 + 0.4 * Math.sin((2 * Math.PI * t) / 1800 + k);
      const les = bucket ? [...LAG_BUCKETS_SECONDS.map(String), '+Inf'] : [undefined];
      for (const le of les) {
        // Log-logistic durations: the share under `le`; the 95th percentile is 4.4 times the median.
        const share = le === undefined ? 1 : le === '+Inf' ? 1 : 1 / (1 + (HISTOGRAM_MEDIAN_SECONDS(metric) / Number(le)) ** 2);
        const all = text(le === undefined ? labels : { ...labels, le });
        const name = all ? `${metric}{${all}}` : metric;
        let sum = 0;
        for (const t of times) {
          if (counter || bucket) sum += Math.round(20 * stepSeconds * wave(t) * share);
          lines.push(`${name} ${counter || bucket ? sum : gaugeValue(metric, labels, wave(t))} ${t}`);
        }
      }
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}
