// SLO Overview: per SLO, the budget left, the burn rates the alerts use, and the SLI over the window,
// all from the recording rules generated in slo/event-bus-slo.rules.yml.
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  DashboardLinkBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE, stat, timeseries } from './panels.ts';

export const SLO_UID = 'event-bus-slo';
const SLO = 'slo=~"$slo"';

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
        description: 'Share of the 30-day error budget not yet spent. Below 0: overspent.',
        unit: 'percentunit',
        grid: { x: 0, y: 0, w: 16, h: 6 },
        // Red once overspent (the BudgetExhausted alerts' `<= 0`), orange in the last quarter.
        baseColor: 'red',
        thresholds: [
          { value: 0, color: 'orange' },
          { value: 0.25, color: 'green' },
        ],
        targets: [{ refId: 'A', expr: `slo:error_budget_remaining:ratio{${SLO}}`, legend: '{{slo}}' }],
      }),
    )
    .withPanel(
      stat({
        id: 2,
        title: 'Objectives',
        description: 'The target of each SLO.',
        unit: 'percentunit',
        grid: { x: 16, y: 0, w: 8, h: 6 },
        targets: [{ refId: 'A', expr: `slo:objective:ratio{${SLO}}`, legend: '{{slo}}' }],
      }),
    )
    .withPanel(
      timeseries({
        id: 3,
        title: 'Burn rate',
        description:
          'Error ratio over the budget. 1x spends the budget exactly in 30 days; pages at 14.4x (1h) and 6x (6h), tickets at 3x (1d) and 1x (3d).',
        unit: 'suffix:x',
        grid: { x: 0, y: 6, w: 12, h: 9 },
        min: 0,
        // The burn-rate alerts' factors (slo/generate-rules.ts): tickets at 1x and 3x, pages at 6x and 14.4x.
        thresholds: [
          { value: 1, color: 'yellow' },
          { value: 3, color: 'orange' },
          { value: 6, color: 'red' },
          { value: 14.4, color: 'dark-red' },
        ],
        targets: ['1h', '6h', '1d', '3d'].map((w, i) => ({
          refId: 'ABCD'[i]!,
          expr: `slo:burn_rate:ratio_rate${w}{${SLO}}`,
          legend: `{{slo}} ${w}`,
        })),
      }),
    )
    .withPanel(
      timeseries({
        id: 4,
        title: 'SLI over the window',
        description: 'Achieved SLI over the rolling 30 days, against its objective.',
        unit: 'percentunit',
        grid: { x: 12, y: 6, w: 12, h: 9 },
        targets: [
          { refId: 'A', expr: `1 - slo:sli_error:ratio_rate30d{${SLO}}`, legend: '{{slo}}' },
          { refId: 'B', expr: `slo:objective:ratio{${SLO}}`, legend: 'objective {{slo}}' },
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
