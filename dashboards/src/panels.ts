// Thin helpers over the Grafana foundation SDK: every panel gets an id, a place, a unit and
// Prometheus targets on the ${datasource} variable, so the dashboards read as a list of panels.
import { DashboardLinkBuilder, ThresholdsConfigBuilder, type ValueMapping } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  GraphThresholdsStyleConfigBuilder,
  ReduceDataOptionsBuilder,
  VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

/** `instant` queries the latest value only, as a table unless `format` says otherwise. */
export type Target = { refId: string; expr: string; legend?: string; instant?: boolean; format?: 'table' | 'time_series' };
export type Grid = { x: number; y: number; w: number; h: number };
/** A threshold line: from `value` up, the series takes `color` (an alert or SLO threshold). */
export type Line = { value: number; color: string };
type Common = { id: number; title: string; description: string; unit: string; grid: Grid; targets: Target[] };
type Thresholds = { thresholds?: Line[]; thresholdsByRefId?: Record<string, Line[]> };

function thresholdsConfig(lines: Line[], base = 'green') {
  const steps = [{ value: null, color: base }, ...[...lines].sort((a, b) => a.value - b.value)];
  return new ThresholdsConfigBuilder().mode('absolute' as never).steps(steps as never);
}

function query(t: Target) {
  const q = new DataqueryBuilder().refId(t.refId).expr(t.expr).datasource(DATASOURCE);
  if (t.legend) q.legendFormat(t.legend);
  if (t.instant) q.instant().format((t.format ?? 'table') as never);
  return q;
}

export function timeseries(
  p: Common & Thresholds & { min?: number; max?: number; unitByRefId?: Record<string, string>; noValue?: string },
) {
  const panel = new TimeseriesBuilder()
    .id(p.id)
    .title(p.title)
    .description(p.description)
    .unit(p.unit)
    .gridPos(p.grid)
    .datasource(DATASOURCE)
    .lineWidth(1)
    .fillOpacity(10)
    // Last and max side by side: "is it still bad, and how bad did it get".
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode('table' as never)
        .placement('bottom' as never)
        .calcs(['lastNotNull', 'max']),
    );
  if (p.min !== undefined) panel.min(p.min);
  if (p.max !== undefined) panel.max(p.max);
  // What Grafana (and the console) shows when every query returns nothing.
  if (p.noValue) panel.noValue(p.noValue);
  // Without lines, the thresholds would only colour the series: draw them as dashed lines.
  if (p.thresholds || p.thresholdsByRefId) panel.thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode('dashed' as never));
  panel.thresholds(thresholdsConfig(p.thresholds ?? []));
  const refIds = new Set([...Object.keys(p.unitByRefId ?? {}), ...Object.keys(p.thresholdsByRefId ?? {})]);
  for (const refId of [...refIds].sort()) {
    const unit = p.unitByRefId?.[refId];
    const lines = p.thresholdsByRefId?.[refId];
    panel.overrideByQuery(refId, [
      ...(unit ? [{ id: 'unit', value: unit }] : []),
      ...(lines ? [{ id: 'thresholds', value: thresholdsConfig(lines).build() }] : []),
    ]);
  }
  for (const t of p.targets) panel.withTarget(query(t));
  return panel;
}

export function stat(p: Common & Thresholds & { mappings?: ValueMapping[]; baseColor?: string; noValue?: string }) {
  const panel = new StatBuilder()
    .id(p.id)
    .title(p.title)
    .description(p.description)
    .unit(p.unit)
    .gridPos(p.grid)
    .datasource(DATASOURCE)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  if (p.mappings) panel.mappings(p.mappings);
  // What Grafana (and the console) shows when the query returns nothing.
  if (p.noValue) panel.noValue(p.noValue);
  if (p.thresholds) panel.thresholds(thresholdsConfig(p.thresholds, p.baseColor));
  for (const [refId, lines] of Object.entries(p.thresholdsByRefId ?? {}))
    panel.overrideByQuery(refId, [{ id: 'thresholds', value: thresholdsConfig(lines, p.baseColor).build() }]);
  for (const t of p.targets) panel.withTarget(query(t));
  return panel;
}

/** Panel links (in the panel header), e.g. to the runbook index. */
export function table(p: Common & { links?: { title: string; url: string }[] }) {
  const panel = new TableBuilder().id(p.id).title(p.title).description(p.description).unit(p.unit).gridPos(p.grid).datasource(DATASOURCE);
  if (p.links)
    panel.links(
      p.links.map((l) =>
        new DashboardLinkBuilder(l.title)
          .type('link' as never)
          .url(l.url)
          .targetBlank(true),
      ),
    );
  for (const t of p.targets) panel.withTarget(query(t));
  return panel;
}
