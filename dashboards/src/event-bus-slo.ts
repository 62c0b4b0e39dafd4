// SLO Overview: per SLO, the budget left, the burn rates the alerts use, and the SLI over the window,
// all from the recording rules generated in slo/event-bus-slo.rules.yml.
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  DashboardLinkBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { BURN_WINDOW_MIN_COVERAGE, coverageExpr, formatSpan, MIN_COVERAGE } from '../../slo/coverage.ts';
import { coveredHistory } from '../../slo/generate-rules.ts';
import { BURN_WINDOWS } from '../../slo/report/assess.ts';
import { durationSeconds } from '../../slo/spec.ts';
import { DATASOURCE, stat, timeseries } from './panels.ts';

export const SLO_UID = 'event-bus-slo';
const SLO = 'slo=~"$slo"';
/** The window the rules record for every SLO (slo/generate-rules.ts, recordedSloWindow). */
const SLO_WINDOW = '30d';
const SLO_WINDOW_SECONDS = durationSeconds(SLO_WINDOW);

/**
 * The figures any SLO table shows too, as one expression each: read at the same moment (instant, not
 * the last point of a range, which Grafana aligns to the step and can be a minute old), a table and
 * these stats agree. In the first minutes the budget moves by hundreds of percent per evaluation.
 */
const COVERAGE = coverageExpr(`slo:sli_total:rate5m{${SLO}}`, SLO_WINDOW, SLO_WINDOW_SECONDS);
export const SLO_FIGURES = {
  /** Only where the data covers MIN_COVERAGE of the window: before that it projects minutes onto 30 days. */
  budgetLeft: `slo:error_budget_remaining:ratio{${SLO}}\nand on (slo)\n(${COVERAGE} >= ${MIN_COVERAGE * SLO_WINDOW_SECONDS})`,
  objective: `slo:objective:ratio{${SLO}}`,
  achieved: `1 - slo:sli_error:ratio_rate${SLO_WINDOW}{${SLO}}`,
  /** Seconds of the SLO window the recorded SLI covers (slo/coverage.ts). */
  coverage: COVERAGE,
};

/**
 * A burn rate only where the SLI was recorded 90 % of its window ago, the burn alerts' own guard
 * (slo/generate-rules.ts coveredHistory): before that a "1d" burn is the burn of the minutes so far,
 * which the burn report and the console show as "–". A presence check, not the coverage subquery,
 * because a range panel evaluates it at every step.
 */
export const burnRateExpr = (w: string) =>
  `slo:burn_rate:ratio_rate${w}{${SLO}}\nand on (slo)\npresent_over_time(slo:sli_total:rate5m{${SLO}}[5m] offset ${coveredHistory(w)})`;

export function eventBusSlo() {
  return new DashboardBuilder('Event Bus SLO Overview')
    .uid(SLO_UID)
    .tags(['event-bus', 'slo', 'generated'])
    .description('Error budgets and burn rates of the event-bus SLOs (slo/event-bus.slo.yml). Generated; do not edit in Grafana.')
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(
      new QueryVariableBuilder('slo')
        .label('SLO')
        .datasource(DATASOURCE)
        .query('label_values(slo:objective:ratio, slo)')
        .includeAll(true)
        .multi(true)
        .allValue('.*')
        .current({ text: 'All', value: '$__all' } as never),
    )
    .link(new DashboardLinkBuilder('Event Bus Overview').type('link' as never).url('/d/event-bus-overview/event-bus-overview'))
    .withPanel(
      stat({
        id: 1,
        title: 'Error budget left',
        description: `Share of the 30-day error budget not yet spent. Below 0: overspent. Shown once the data covers ${(MIN_COVERAGE * SLO_WINDOW_SECONDS) / 86_400} days (Data covers, beside): with less it would project a short history onto 30 days, which the burn report calls insufficient data.`,
        noValue: 'insufficient data',
        unit: 'percentunit',
        grid: { x: 0, y: 0, w: 12, h: 6 },
        // Red once overspent (the BudgetExhausted alerts' `<= 0`), orange in the last quarter.
        baseColor: 'red',
        thresholds: [
          { value: 0, color: 'orange' },
          { value: 0.25, color: 'green' },
        ],
        targets: [{ refId: 'A', expr: SLO_FIGURES.budgetLeft, legend: '{{slo}}', instant: true, format: 'time_series' }],
      }),
    )
    .withPanel(
      stat({
        id: 6,
        title: 'Data covers (of 30 d)',
        description: `How much of the 30-day window the SLI's data covers: the age of its oldest recorded sample in the window. Orange below ${MIN_COVERAGE * 100} % (3 days): budget left and status are not meaningful yet, and a burn rate means something once the data covers its window.`,
        unit: 's',
        grid: { x: 12, y: 0, w: 6, h: 6 },
        // slo/coverage.ts MIN_COVERAGE: below it the burn report says insufficient data.
        baseColor: 'orange',
        thresholds: [{ value: MIN_COVERAGE * SLO_WINDOW_SECONDS, color: 'green' }],
        // Instant: a 30-day subquery at every step of a range would be thousands of them.
        targets: [{ refId: 'A', expr: SLO_FIGURES.coverage, legend: '{{slo}}', instant: true, format: 'time_series' }],
      }),
    )
    .withPanel(
      stat({
        id: 2,
        title: 'Objectives',
        description: 'The target of each SLO.',
        unit: 'percentunit',
        grid: { x: 18, y: 0, w: 6, h: 6 },
        targets: [{ refId: 'A', expr: SLO_FIGURES.objective, legend: '{{slo}}', instant: true, format: 'time_series' }],
      }),
    )
    .withPanel(
      timeseries({
        id: 3,
        title: 'Burn rate',
        description:
          'Error ratio over the budget. 1x spends the budget exactly in 30 days; pages at 14.4x (1h) and 6x (6h), tickets at 3x (1d) and 1x (3d). Each line starts once the SLI has been recorded for 90 % of its window, when the alerts start to judge it.',
        unit: 'suffix:x',
        noValue: `no window covered yet: the 1h burn starts after ${formatSpan(BURN_WINDOW_MIN_COVERAGE * 3600)} of data`,
        grid: { x: 0, y: 6, w: 12, h: 9 },
        min: 0,
        // The burn-rate alerts' factors (slo/generate-rules.ts): tickets at 1x and 3x, pages at 6x and 14.4x.
        thresholds: [
          { value: 1, color: 'yellow' },
          { value: 3, color: 'orange' },
          { value: 6, color: 'red' },
          { value: 14.4, color: 'dark-red' },
        ],
        targets: BURN_WINDOWS.map((w, i) => ({
          refId: 'ABCD'[i]!,
          expr: burnRateExpr(w),
          legend: `{{slo}} ${w}`,
        })),
      }),
    )
    .withPanel(
      timeseries({
        id: 4,
        title: 'SLI over the window',
        description: 'Achieved SLI over the rolling 30 days (or over the data so far, see Data covers), against its objective.',
        unit: 'percentunit',
        grid: { x: 12, y: 6, w: 12, h: 9 },
        targets: [
          { refId: 'A', expr: SLO_FIGURES.achieved, legend: '{{slo}}' },
          { refId: 'B', expr: SLO_FIGURES.objective, legend: 'objective {{slo}}' },
        ],
      }),
    )
    .withPanel(
      timeseries({
        id: 5,
        title: 'Error ratio, short windows',
        description: 'Error ratio over 5 minutes and 1 hour: what the page alert reads first.',
        unit: 'percentunit',
        grid: { x: 0, y: 15, w: 24, h: 8 },
        min: 0,
        targets: [
          { refId: 'A', expr: `slo:sli_error:ratio_rate5m{${SLO}}`, legend: '{{slo}} 5m' },
          { refId: 'B', expr: `slo:sli_error:ratio_rate1h{${SLO}}`, legend: '{{slo}} 1h' },
        ],
      }),
    )
    .build();
}
