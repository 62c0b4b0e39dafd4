// Thin helpers over the Grafana foundation SDK: every panel gets an id, a place, a unit and
// Prometheus targets on the ${datasource} variable, so the dashboards read as a list of panels.
import { DashboardLinkBuilder, type ValueMapping } from '@grafana/grafana-foundation-sdk/dashboard';
import { ReduceDataOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

export type Target = { refId: string; expr: string; legend?: string; instant?: boolean };
export type Grid = { x: number; y: number; w: number; h: number };
type Common = { id: number; title: string; description: string; unit: string; grid: Grid; targets: Target[] };

function query(t: Target) {
  const q = new DataqueryBuilder().refId(t.refId).expr(t.expr).datasource(DATASOURCE);
  if (t.legend) q.legendFormat(t.legend);
  if (t.instant) q.instant().format('table' as never);
  return q;
}

export function timeseries(p: Common & { min?: number; max?: number; unitByRefId?: Record<string, string>; thresholdLine?: number }) {
  const panel = new TimeseriesBuilder()
    .id(p.id)
    .title(p.title)
    .description(p.description)
    .unit(p.unit)
    .gridPos(p.grid)
    .datasource(DATASOURCE)
    .lineWidth(1)
    .fillOpacity(10);
  if (p.min !== undefined) panel.min(p.min);
  if (p.max !== undefined) panel.max(p.max);
  for (const [refId, unit] of Object.entries(p.unitByRefId ?? {})) panel.overrideByQuery(refId, [{ id: 'unit', value: unit }]);
  for (const t of p.targets) panel.withTarget(query(t));
  return panel;
}

export function stat(p: Common & { mappings?: ValueMapping[] }) {
  const panel = new StatBuilder()
    .id(p.id)
    .title(p.title)
    .description(p.description)
    .unit(p.unit)
    .gridPos(p.grid)
    .datasource(DATASOURCE)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  if (p.mappings) panel.mappings(p.mappings);
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
