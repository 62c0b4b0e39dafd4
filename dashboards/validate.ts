// Static checks on generated dashboards: every query parses and names real series, every panel has
// targets and a unit, ids are unique and stable, and no two panels overlap. Pure.
import { parsePromql, selectors } from '../observability/promql/analysis.ts';

export type Target = { refId?: string; expr?: string; datasource?: { uid?: string } };
export type Panel = {
  id?: number;
  type: string;
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { uid?: string };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: Target[];
};
export type Dashboard = { uid?: string; title?: string; templating?: { list?: { name: string; type: string }[] }; panels?: Panel[] };

/** Grafana template variables as they expand for validation and for the console. */
export function expandVariables(expr: string, values: Record<string, string> = {}): string {
  const defaults: Record<string, string> = {
    __rate_interval: '1m',
    __interval: '30s',
    __range: '1h',
    slo: '.*',
    job: '.*',
    instance: '.*',
    ...values,
  };
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => defaults[name] ?? whole);
}

export function dashboardIssues(d: Dashboard, knownSeries: ReadonlySet<string>): string[] {
  const issues: string[] = [];
  const panels = d.panels ?? [];
  if (!d.uid) issues.push('dashboard has no uid');
  if (!d.templating?.list?.some((v) => v.type === 'datasource' && v.name === 'datasource'))
    issues.push('dashboard has no `datasource` variable');
  const ids = new Set<number>();
  for (const p of panels) {
    const name = `panel ${p.id ?? '?'} "${p.title ?? ''}"`;
    if (p.id === undefined) issues.push(`${name}: no id`);
    else if (ids.has(p.id)) issues.push(`${name}: duplicate id`);
    else ids.add(p.id);
    if (!p.fieldConfig?.defaults?.unit) issues.push(`${name}: no unit`);
    if (p.datasource?.uid !== '${datasource}') issues.push(`${name}: does not use the \${datasource} variable`);
    if (!p.gridPos) issues.push(`${name}: no gridPos`);
    else if (p.gridPos.x < 0 || p.gridPos.x + p.gridPos.w > 24 || p.gridPos.w <= 0 || p.gridPos.h <= 0)
      issues.push(`${name}: gridPos outside the 24-column grid`);
    const targets = p.targets ?? [];
    if (targets.length === 0) issues.push(`${name}: no targets`);
    const refIds = new Set<string>();
    for (const t of targets) {
      if (!t.refId || refIds.has(t.refId)) issues.push(`${name}: missing or duplicate refId ${t.refId ?? ''}`);
      refIds.add(t.refId ?? '');
      if (!t.expr) {
        issues.push(`${name} ${t.refId}: empty expression`);
        continue;
      }
      const parsed = parsePromql(expandVariables(t.expr));
      for (const e of parsed.errors) issues.push(`${name} ${t.refId}: ${e}`);
      if (parsed.errors.length) continue;
      for (const s of selectors(parsed)) {
        if (!s.metric) issues.push(`${name} ${t.refId}: selector ${s.text} has no metric name`);
        else if (!knownSeries.has(s.metric))
          issues.push(`${name} ${t.refId}: ${s.metric} is neither exported by a service nor recorded by a rule`);
      }
    }
  }
  for (let i = 0; i < panels.length; i++) {
    for (let j = i + 1; j < panels.length; j++) {
      const a = panels[i]!.gridPos;
      const b = panels[j]!.gridPos;
      if (a && b && a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) {
        issues.push(`panels ${panels[i]!.id} and ${panels[j]!.id} overlap`);
      }
    }
  }
  return issues;
}
