// report.json, report.md and report.html from one report model. Pure.
import type { SloAssessment } from './assess.ts';
import { BURN_WINDOWS } from './assess.ts';
import type { ReportWindow } from './gather.ts';
import { lineChart } from '../../observability/charts/svg-chart.ts';
import { BURN_WINDOW_MIN_COVERAGE, coverageLabel, formatSpan, MIN_COVERAGE } from '../coverage.ts';

export type SloReport = SloAssessment & {
  name: string;
  displayName: string;
  description: string;
  service: string;
  /**
   * One point per step, at the step's end; each covers the `stepSeconds` before it. Null where the
   * table would say "–" too (assess.ts chartSeries).
   */
  series: { time: number[]; stepSeconds: number; budgetRemaining: (number | null)[]; burnRate: (number | null)[] };
};

export type Report = { generatedAt: string; prometheusUrl: string; at: string; window: ReportWindow; slos: SloReport[] };

const pct = (v: number | null, digits = 3) => (v === null ? 'n/a' : `${+(v * 100).toFixed(digits)}%`);
const times = (v: number | null) => (v === null ? 'n/a' : `${+v.toFixed(2)}x`);
const signed = (v: number | null, unit: string, digits = 3) => (v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${+v.toFixed(digits)}${unit}`);
const isoDay = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
/** A burn rate, or "–" for a window the data does not cover yet. */
const burn = (s: SloReport) => BURN_WINDOWS.map((w) => (s.coverage.burnWindows[w] ? times(s.burnRates[w]) : '–')).join(' / ');
/** Budget left, or "–" while the data is too short to say (n/a stays for no traffic). */
const budget = (s: SloReport) => (s.status === 'Insufficient data' ? '–' : pct(s.budgetRemaining, 1));
const covered = (s: SloReport) => coverageLabel(s.coverage.seconds, s.coverage.windowSeconds);

const STATUS_COLOR: Record<string, string> = {
  Healthy: '#15803d',
  'At risk': '#b45309',
  Exhausted: '#b91c1c',
  'Insufficient data': '#475569',
  'No data': '#6b7280',
};

const STATUS_RULE = `Status: Insufficient data while the data covers less than ${MIN_COVERAGE * 100} % of the window (budget left is then not shown: it would project a short history onto the whole window), Exhausted when no budget is left, At risk below 25 % left or when a long-window burn rate is above its alert threshold, No data when there was no traffic. A burn rate is shown once the data covers ${BURN_WINDOW_MIN_COVERAGE * 100} % of its window, "–" before.`;

/** Why an SLO has no status yet, in one sentence, or '' when it has one. */
function insufficientNote(s: SloReport): string {
  if (s.status !== 'Insufficient data') return '';
  const { seconds, windowSeconds } = s.coverage;
  return `the data covers ${covered(s)}, less than the ${formatSpan(windowSeconds * MIN_COVERAGE)} a status needs; achieved ${pct(s.achieved)} over ${formatSpan(seconds)} says little about ${formatSpan(windowSeconds)}.`;
}

export function renderMarkdown(report: Report): string {
  const lines = [
    '# SLO burn report: webhook event bus',
    '',
    `Window: ${report.window.label} (${isoDay(report.window.start)} to ${isoDay(report.window.end)}), compared with the window before it. Generated ${report.generatedAt} from ${report.prometheusUrl}.`,
    '',
    '## Summary',
    '',
    '| SLO | Objective | Data covers | Achieved | Error budget left | Burn 1h / 6h / 1d / 3d | Status | Change vs previous window |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...report.slos.map(
      (s) =>
        `| ${s.displayName} | ${pct(s.objective)} | ${covered(s)} | ${pct(s.achieved)} | ${budget(s)} | ${burn(s)} | **${s.status}** | ${signed(s.delta.achievedPoints, ' pp')} |`,
    ),
    '',
    'Burn rate 1x spends the budget exactly over the window; the alerts page at 14.4x (1h) or 6x (6h) and open a ticket at 3x (1d) or 1x (3d).',
    STATUS_RULE,
  ];
  for (const s of report.slos) {
    lines.push(
      '',
      `## ${s.displayName}`,
      '',
      `${s.description} Service: ${s.service}. Objective ${pct(s.objective)}, so the error budget is ${pct(s.errorBudget)} of events.`,
      '',
      `- Status: **${s.status}**${s.status === 'Insufficient data' ? ` (${insufficientNote(s)})` : ''}`,
      `- Data covers: ${covered(s)}`,
      `- Achieved: ${pct(s.achieved)} (previous window ${pct(s.previous.achieved)}, change ${signed(s.delta.achievedPoints, ' percentage points')})`,
      `- Error budget left: ${budget(s)} (previous window ${pct(s.previous.budgetRemaining, 1)})`,
      `- Burn rates: ${BURN_WINDOWS.map((w) => `${w} ${s.coverage.burnWindows[w] ? times(s.burnRates[w]) : '– (not covered)'}`).join(', ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The charts' time axis, fitted to the data: from the start of the first step to the window's end,
 * so four minutes of history fill the chart instead of one point at the edge of 30 days. Clock
 * times under two days, dates beyond.
 */
export function chartAxis(s: Pick<SloReport, 'series'>, window: ReportWindow) {
  const first = s.series.time[0];
  const xStart = first === undefined ? window.start : Math.max(window.start, first - s.series.stepSeconds);
  const xFormat =
    window.end - xStart < 2 * 86_400
      ? (t: number) => new Date(t * 1000).toISOString().slice(5, 16).replace('T', ' ')
      : (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
  return { xStart, xEnd: window.end, xFormat };
}

/**
 * lineChart joins neighbouring values with lines, so a value without a neighbour (a single step of
 * data, or one between two gaps) is a lone moveto that draws nothing: give each a dot.
 */
export function dotLonePoints(svg: string): string {
  return svg.replace(/<path d="([^"]*)" fill="none" stroke="([^"]+)"[^>]*>.*?<\/path>/g, (path, d: string, color: string) => {
    const dots = d
      .split(' ')
      .map((segment) => /^M(-?[\d.]+),(-?[\d.]+)$/.exec(segment))
      .filter((m) => m !== null)
      .map((m) => `<circle class="point" cx="${m[1]}" cy="${m[2]}" r="3" fill="${color}"/>`);
    return path + dots.join('');
  });
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function renderHtml(report: Report): string {
  const rows = report.slos
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.displayName)}</td><td>${pct(s.objective)}</td><td class="num" data-field="coverage">${covered(s)}</td><td class="num" data-field="achieved">${pct(s.achieved)}</td><td class="num" data-field="budget">${budget(s)}</td><td class="num" data-field="burn">${burn(s)}</td><td><span class="status" style="background:${STATUS_COLOR[s.status]}">${s.status}</span></td><td class="num">${signed(s.delta.achievedPoints, ' pp')}</td></tr>`,
    )
    .join('\n');
  const sections = report.slos
    .map((s) => {
      const points = <T>(values: T[]) => s.series.time.map((t, i) => [t, values[i] ?? null] as [number, number | null]);
      const axis = chartAxis(s, report.window);
      const budgetValues = s.series.budgetRemaining.filter((v): v is number => v !== null);
      const burnDownChart = lineChart([{ name: 'error budget left', color: '#2563eb', points: points(s.series.budgetRemaining) }], {
        title: `${s.displayName}: error budget burn-down`,
        yFormat: (v) => `${Math.round(v * 100)}%`,
        yMin: Math.min(0, ...budgetValues),
        yMax: 1,
        thresholds: [{ value: 0, label: 'exhausted', color: '#b91c1c' }],
        ...axis,
      });
      const burnChart = lineChart([{ name: 'burn rate', color: '#d97706', points: points(s.series.burnRate) }], {
        title: `${s.displayName}: burn rate`,
        yFormat: (v) => `${+v.toFixed(1)}x`,
        yMin: 0,
        thresholds: [
          { value: 14.4, label: '14.4x page', color: '#b91c1c' },
          { value: 6, label: '6x page', color: '#dc2626' },
          { value: 3, label: '3x ticket', color: '#b45309' },
          { value: 1, label: '1x', color: '#6b7280' },
        ],
        ...axis,
      });
      // An empty frame would look like a flat, healthy line: say why there is nothing to draw.
      const chartOrNote = (svg: string, values: (number | null)[], chart: string, why: string) =>
        values.some((v) => v !== null) ? dotLonePoints(svg) : `<p class="nodata chart-note" data-chart="${chart}">${escapeHtml(why)}</p>`;
      const charts =
        s.status === 'No data'
          ? ''
          : chartOrNote(
              burnDownChart,
              s.series.budgetRemaining,
              'budget',
              `No burn-down yet: the data covers ${covered(s)}, less than the ${formatSpan(s.coverage.windowSeconds * MIN_COVERAGE)} a budget needs.`,
            ) +
            chartOrNote(
              burnChart,
              s.series.burnRate,
              'burn',
              `No burn rate yet: it is drawn once the data covers ${BURN_WINDOW_MIN_COVERAGE * 100} % of ${BURN_WINDOWS[0]}, the shortest window the alerts judge.`,
            );
      const noData =
        s.status === 'No data'
          ? '<p class="nodata">No data: there was no traffic for this SLO in the window, so nothing can be said about it.</p>'
          : s.status === 'Insufficient data'
            ? `<p class="nodata">Insufficient data: ${escapeHtml(insufficientNote(s))}</p>`
            : '';
      return `<section id="${s.name}"><h2>${escapeHtml(s.displayName)} <span class="status" style="background:${STATUS_COLOR[s.status]}">${s.status}</span></h2>
<p>${escapeHtml(s.description)} Objective ${pct(s.objective)}; the data covers ${covered(s)}; achieved ${pct(s.achieved)} (previous window ${pct(s.previous.achieved)}); error budget left ${budget(s)}.</p>${noData}
<div class="charts">${charts}</div></section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SLO burn report: webhook event bus</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#111827;max-width:1360px;margin:24px auto;padding:0 16px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e5e7eb;padding:6px 8px;text-align:left}td.num{font-variant-numeric:tabular-nums}
.status{color:#fff;border-radius:4px;padding:1px 8px;font-size:12px}.charts{display:flex;flex-wrap:wrap;gap:16px}.nodata{color:#6b7280}
section{margin-top:28px}h1{font-size:22px}h2{font-size:17px}
</style></head><body>
<h1>SLO burn report: webhook event bus</h1>
<p>Window: ${escapeHtml(report.window.label)} (${isoDay(report.window.start)} to ${isoDay(report.window.end)}), compared with the window before it. Generated ${escapeHtml(report.generatedAt)}.</p>
<table id="summary"><thead><tr><th>SLO</th><th>Objective</th><th>Data covers</th><th>Achieved</th><th>Error budget left</th><th>Burn 1h / 6h / 1d / 3d</th><th>Status</th><th>Change</th></tr></thead><tbody>
${rows}
</tbody></table>
<p class="nodata">${escapeHtml(STATUS_RULE)}</p>
${sections}
</body></html>
`;
}
