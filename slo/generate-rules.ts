// SLO spec -> Prometheus rules, as a pure function (the Sloth/Pyrra pattern): SLI error ratios over
// every window the alerts need, budget and burn-rate recordings, and multiwindow, multi-burn-rate
// alerts (Google SRE workbook, chapter 5).
import { stringify } from 'yaml';
import { DASHBOARD_BASE_URL } from '../observability/conventions.ts';
import type { Rule } from '../observability/load-rule-files.ts';
import { errorBudgetOf, withWindow, type SloSpec } from './spec.ts';

export const SLO_RULES_FILE = 'slo/event-bus-slo.rules.yml';

/** Windows the alerts read, plus the SLO window itself. */
export const ALERT_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;

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

/** A calendar month has no fixed Prometheus range; rules record the rolling 30 days, the report does the month. */
export function recordedSloWindow(spec: SloSpec): string {
  return spec.window.duration === '1M' ? '30d' : spec.window.duration;
}

const errorRatio = (w: string) => `slo:sli_error:ratio_rate${w}`;
const burnRate = (w: string) => `slo:burn_rate:ratio_rate${w}`;

// No traffic must not read as 100 % errors or as NaN: the denominator is clamped just above zero, so
// an idle window gives 0 / tiny = 0. A missing series gives no result at all, which alerts ignore.
function errorRatioExpr(spec: SloSpec, window: string): string {
  const total = withWindow(spec.total, window);
  const bad = spec.bad ? withWindow(spec.bad, window) : `(${total}) - (${withWindow(spec.good!, window)})`;
  return `(${bad})\n/\nclamp_min(${total}, 1e-12)`;
}

const percent = (x: number) => `${+(x * 100).toFixed(3)}%`;

export function sloRuleGroups(specs: readonly SloSpec[]) {
  return {
    groups: specs.map((spec) => {
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
      const condition = (pairs: readonly { long: string; short: string; factor: number }[]) =>
        pairs.map((p) => `(${burnRate(p.long)}${sel} > ${p.factor} and ${burnRate(p.short)}${sel} > ${p.factor})`).join('\nor\n');
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
        ...windows.map((w) => ({ record: errorRatio(w), expr: errorRatioExpr(spec, w), labels })),
        { record: 'slo:objective:ratio', expr: `vector(${spec.objective})`, labels },
        { record: 'slo:error_budget:ratio', expr: `vector(${budget})`, labels },
        ...windows.map((w) => ({ record: burnRate(w), expr: `${errorRatio(w)}${sel} / ${budget}`, labels })),
        // 1 = untouched, 0 = spent, below 0 = overspent.
        { record: 'slo:error_budget_remaining:ratio', expr: `1 - ${errorRatio(sloWindow)}${sel} / ${budget}`, labels },
        burnAlert('Page', BURN_RATE_ALERTS.page, '2m', spec.alerting.page.severity, 'fast', 'page'),
        burnAlert('Ticket', BURN_RATE_ALERTS.ticket, '10m', spec.alerting.ticket.severity, 'steadily', 'ticket'),
        {
          alert: `${spec.alerting.name}BudgetExhausted`,
          expr: `slo:error_budget_remaining:ratio${sel} <= 0`,
          for: '5m',
          labels: { severity: spec.alerting.exhausted.severity, ...labels },
          annotations: annotations(
            `The ${spec.displayName} SLO has used up its error budget.`,
            `The ${spec.displayName} SLO (${percent(spec.objective)}) has {{ $value | humanizePercentage }} of its ${sloWindow} error budget left.`,
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
