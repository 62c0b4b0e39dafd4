// SLO spec -> Prometheus rules, as a pure function (the Sloth/Pyrra pattern): SLI error ratios over
// every window the alerts need, budget and burn-rate recordings, and multiwindow, multi-burn-rate
// alerts (Google SRE workbook, chapter 5).
import { stringify } from 'yaml';
import { DASHBOARD_BASE_URL } from '../observability/conventions.ts';
import type { Rule } from '../observability/load-rule-files.ts';
import { BURN_WINDOW_MIN_COVERAGE, MIN_COVERAGE } from './coverage.ts';
import { durationSeconds, errorBudgetOf, readingExpectedTargets, withWindow, type SloSpec } from './spec.ts';

export const SLO_RULES_FILE = 'slo/event-bus-slo.rules.yml';

/** Windows the alerts read, plus the SLO window itself. */
export const ALERT_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;

/** Windows short enough to compute from raw series; longer ones sum the 5-minute recordings. */
export const RAW_WINDOWS: readonly string[] = ['5m', '30m', '1h', '2h', '6h'];

/** How long an SLI may be missing before its absence alert fires (restarts and first scrapes pass). */
export const SLI_ABSENT_FOR = '15m';

/** Page: 2 % of a 30-day budget in 1 h (14.4x) or 5 % in 6 h (6x). Ticket: 10 % in 1 d (3x) or 10 % in 3 d (1x). */
export const BURN_RATE_ALERTS = {
  page: [
    { long: '1h', short: '5m', factor: 14.4 },
    { long: '6h', short: '30m', factor: 6 },
  ],
  ticket: [
    { long: '1d', short: '2h', factor: 3 },
    { long: '3d', short: '6h', factor: 1 },
  ],
} as const;

/** A duration in the largest whole unit PromQL reads: 259200 → "3d", 3240 → "54m". */
function promDuration(seconds: number): string {
  for (const [size, unit] of [
    [86_400, 'd'],
    [3600, 'h'],
    [60, 'm'],
  ] as const)
    if (Number.isInteger(seconds / size)) return `${seconds / size}${unit}`;
  return `${Math.round(seconds)}s`;
}

/** How long an SLI must have been recorded before its budget can be called spent (slo/coverage.ts). */
export function minimumHistory(sloWindow: string): string {
  return promDuration(MIN_COVERAGE * durationSeconds(sloWindow));
}

/** How long an SLI must have been recorded before a burn rate over `window` is judged (slo/coverage.ts). */
export function coveredHistory(window: string): string {
  return promDuration(Math.round(BURN_WINDOW_MIN_COVERAGE * durationSeconds(window)));
}

/** A calendar month has no fixed Prometheus range; rules record the rolling 30 days, the report does the month. */
export function recordedSloWindow(spec: SloSpec): string {
  return spec.window.duration === '1M' ? '30d' : spec.window.duration;
}

const errorRatio = (w: string) => `slo:sli_error:ratio_rate${w}`;
const burnRate = (w: string) => `slo:burn_rate:ratio_rate${w}`;

// No traffic must not read as 100 % errors or as NaN: the denominator is clamped just above zero, so
// an idle window gives 0 / tiny = 0. A missing series gives no result at all, which alerts ignore.
function errorRatioExpr(spec: SloSpec, window: string): string {
  return `(${badExpr(spec, window)})\n/\nclamp_min(${withWindow(spec.total, window)}, 1e-12)`;
}

// Long windows as in Sloth, so a 30-day query reads 8640 recorded samples, not a month of raw
// series every 15 s. Sloth averages the 5-minute ratios, which weighs a quiet 5 minutes as much as
// a busy one; summing the recorded bad and total rates keeps each event's weight, so the result
// equals the raw ratio up to the window's edges. The cost is two more series per SLO.
function longWindowErrorRatioExpr(sel: string, window: string): string {
  return `sum_over_time(slo:sli_bad:rate5m${sel}[${window}])\n/\nclamp_min(sum_over_time(slo:sli_total:rate5m${sel}[${window}]), 1e-12)`;
}

function badExpr(spec: SloSpec, window: string): string {
  return spec.bad ? withWindow(spec.bad, window) : `(${withWindow(spec.total, window)}) - (${withWindow(spec.good!, window)})`;
}

// A target seen within forgetAfter but missing now reads 0, so a vanished target is down, not ignored.
function expectedTargetRules(spec: SloSpec, labels: Record<string, string>): Rule[] {
  if (!spec.expectedTargets) return [];
  const up = `up{job="${spec.expectedTargets.job}"}`;
  return [{ record: 'slo:expected_target:up', expr: `${up}\nor\nlast_over_time(${up}[${spec.expectedTargets.forgetAfter}]) * 0`, labels }];
}

const percent = (x: number) => `${+(x * 100).toFixed(3)}%`;

export function sloRuleGroups(specs: readonly SloSpec[]) {
  return {
    groups: specs.map((declared) => {
      const spec = readingExpectedTargets(declared);
      const labels = { slo: spec.name, service: spec.service };
      const sel = `{slo="${spec.name}"}`;
      const budget = errorBudgetOf(spec.objective);
      const sloWindow = recordedSloWindow(spec);
      const windows = [...new Set([...ALERT_WINDOWS, sloWindow])];
      const dashboard = `${DASHBOARD_BASE_URL}event-bus-slo/event-bus-slo?var-slo=${spec.name}`;
      const extra = spec.alerting.description ? ` ${spec.alerting.description}` : '';
      const annotations = (summary: string, description: string) => ({
        summary,
        description: description + extra,
        runbook_url: spec.alerting.runbookUrl,
        dashboard,
      });
      // Each pair judges only once the SLI's history spans most of its long window (slo/coverage.ts,
      // BURN_WINDOW_MIN_COVERAGE): on a young stack the "1h" burn is the burn of its few minutes, and a
      // one-minute outage would page for the next half hour and ticket for two. The symptom alerts
      // (gateway down, error rate, latency) cover those first hours.
      const covered = (long: string) => `present_over_time(slo:sli_total:rate5m${sel}[5m] offset ${coveredHistory(long)})`;
      const condition = (pairs: readonly { long: string; short: string; factor: number }[]) =>
        pairs
          .map(
            (p) => `(${burnRate(p.long)}${sel} > ${p.factor} and ${burnRate(p.short)}${sel} > ${p.factor} and on (slo) ${covered(p.long)})`,
          )
          .join('\nor\n');
      const describe = (pairs: readonly { long: string; short: string; factor: number }[]) =>
        pairs.map((p) => `${p.factor}x over ${p.long} and ${p.short}`).join(', or ');
      const burnAlert = (
        suffix: string,
        pairs: readonly { long: string; short: string; factor: number }[],
        forDuration: string,
        severity: string,
        how: string,
        kind: string,
      ): Rule => ({
        alert: `${spec.alerting.name}BudgetBurn${suffix}`,
        expr: condition(pairs),
        for: forDuration,
        labels: { severity, ...labels },
        annotations: annotations(
          `The ${spec.displayName} SLO is burning its error budget ${how}.`,
          `The ${spec.displayName} SLO (${percent(spec.objective)}) burns its ${sloWindow} error budget {{ $value | humanize }}x faster than sustainable (${kind} when ${describe(pairs)}).`,
        ),
      });

      const rules: Rule[] = [
        ...expectedTargetRules(spec, labels),
        { record: 'slo:sli_bad:rate5m', expr: badExpr(spec, '5m'), labels },
        { record: 'slo:sli_total:rate5m', expr: withWindow(spec.total, '5m'), labels },
        ...windows.map((w) => ({
          record: errorRatio(w),
          expr: RAW_WINDOWS.includes(w) ? errorRatioExpr(spec, w) : longWindowErrorRatioExpr(sel, w),
          labels,
        })),
        { record: 'slo:objective:ratio', expr: `vector(${spec.objective})`, labels },
        { record: 'slo:error_budget:ratio', expr: `vector(${budget})`, labels },
        ...windows.map((w) => ({ record: burnRate(w), expr: `${errorRatio(w)}${sel} / ${budget}`, labels })),
        // 1 = untouched, 0 = spent, below 0 = overspent.
        { record: 'slo:error_budget_remaining:ratio', expr: `1 - ${errorRatio(sloWindow)}${sel} / ${budget}`, labels },
        burnAlert('Page', BURN_RATE_ALERTS.page, '2m', spec.alerting.page.severity, 'fast', 'page'),
        burnAlert('Ticket', BURN_RATE_ALERTS.ticket, '10m', spec.alerting.ticket.severity, 'steadily', 'ticket'),
        {
          alert: `${spec.alerting.name}BudgetExhausted`,
          // Only once the SLI has MIN_COVERAGE of the window behind it: on minutes of history the budget
          // projects a short outage onto 30 days and would read as spent for days. The burn alerts cover
          // the fast case meanwhile.
          expr: `slo:error_budget_remaining:ratio${sel} <= 0\nand on (slo)\npresent_over_time(slo:sli_total:rate5m${sel}[1h] offset ${minimumHistory(sloWindow)})`,
          for: '5m',
          labels: { severity: spec.alerting.exhausted.severity, ...labels },
          annotations: annotations(
            `The ${spec.displayName} SLO has used up its error budget.`,
            `The ${spec.displayName} SLO (${percent(spec.objective)}) has {{ $value | humanizePercentage }} of its ${sloWindow} error budget left.`,
          ),
        },
        // Without its SLI the burn alerts above can never fire: a renamed metric, a relabelled `le`
        // or a target that stopped exporting must not read as a healthy SLO.
        {
          alert: `${spec.alerting.name}SliAbsent`,
          expr: `absent(${errorRatio('5m')}${sel})`,
          for: SLI_ABSENT_FOR,
          labels: { severity: 'warning', ...labels },
          annotations: annotations(
            `The ${spec.displayName} SLI has no data.`,
            `slo:sli_error:ratio_rate5m{slo="${spec.name}"} has been missing for ${SLI_ABSENT_FOR} (absent() = {{ $value | humanize }}): the ${spec.displayName} SLO and its burn alerts are blind. Check that the SLI's series exist and that their names and labels match the spec.`,
          ),
        },
      ];
      return { name: `slo-${spec.name}`, rules };
    }),
  };
}

export function renderSloRules(specs: readonly SloSpec[]): string {
  const header = '# GENERATED from slo/event-bus.slo.yml by `npm run generate` (slo/generate-rules.ts); do not edit.\n';
  return header + stringify(sloRuleGroups(specs), { lineWidth: 0, aliasDuplicateObjects: false });
}
