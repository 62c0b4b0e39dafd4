import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleFile, ruleFilePaths } from '../observability/load-rule-files.ts';
import { REPO_ROOT } from '../observability/repo-root.ts';
import { DASHBOARDS } from './index.ts';
import { knownSeries } from './known-series.ts';
import { dashboardIssues, type Dashboard } from './validate.ts';

const rules = ruleFilePaths()
  .map((p) => loadRuleFile(p))
  .flatMap((f) => f.groups.flatMap((g) => g.rules));
const KNOWN_SERIES = knownSeries();

const committed = (file: string) => JSON.parse(readFileSync(path.join(REPO_ROOT, file), 'utf8')) as Dashboard;

describe('generated dashboards', () => {
  it.each(DASHBOARDS.map((d) => [d.uid, d] as const))('%s passes every static check', (uid, d) => {
    const json = committed(d.file);
    expect(json.uid).toBe(uid);
    expect(dashboardIssues(json, KNOWN_SERIES)).toEqual([]);
  });

  it('keeps the panel ids that alert annotations link to', () => {
    const byUid = new Map<string, Dashboard>(DASHBOARDS.map((d) => [d.uid, committed(d.file)]));
    const links = rules.flatMap((r) => (r.annotations?.dashboard ? [{ alert: r.alert, url: new URL(r.annotations.dashboard) }] : []));
    expect(links.length).toBeGreaterThanOrEqual(22);
    for (const { alert, url } of links) {
      const uid = url.pathname.split('/')[2]!;
      const dashboard = byUid.get(uid);
      expect(dashboard, `${alert}: dashboard ${uid}`).toBeDefined();
      const panel = url.searchParams.get('viewPanel');
      if (panel)
        expect(
          dashboard!.panels!.some((p) => p.id === Number(panel)),
          `${alert}: panel ${panel} of ${uid}`,
        ).toBe(true);
      const slo = url.searchParams.get('var-slo');
      if (slo)
        expect(
          rules.some((r) => r.labels?.slo === slo),
          `${alert}: SLO ${slo}`,
        ).toBe(true);
    }
  });
});

describe('dashboard checks (they can fail)', () => {
  const panel = (over: object) => ({
    id: 1,
    type: 'timeseries',
    title: 'x',
    gridPos: { x: 0, y: 0, w: 12, h: 8 },
    datasource: { uid: '${datasource}' },
    fieldConfig: { defaults: { unit: 's' } },
    targets: [{ refId: 'A', expr: 'sum(rate(webhook_gateway_errors_total[$__rate_interval]))' }],
    ...over,
  });
  const dashboard = (...panels: object[]) =>
    ({ uid: 'x', templating: { list: [{ name: 'datasource', type: 'datasource' }] }, panels }) as Dashboard;
  const issues = (...panels: object[]) => dashboardIssues(dashboard(...panels), KNOWN_SERIES).join('\n');

  it('accepts a good panel', () => expect(issues(panel({}))).toBe(''));
  it('finds overlapping panels', () =>
    expect(issues(panel({}), panel({ id: 2, gridPos: { x: 6, y: 4, w: 12, h: 8 } }))).toContain('overlap'));
  it('finds a missing unit', () => expect(issues(panel({ fieldConfig: { defaults: {} } }))).toContain('no unit'));
  it('finds a panel without targets', () => expect(issues(panel({ targets: [] }))).toContain('no targets'));
  it('finds an unknown metric', () =>
    expect(issues(panel({ targets: [{ refId: 'A', expr: 'rate(nope_total[5m])' }] }))).toContain('nope_total is neither'));
  it('finds a syntax error', () =>
    expect(issues(panel({ targets: [{ refId: 'A', expr: 'sum(rate(up[5m])' }] }))).toContain('syntax error'));
  it('finds duplicate ids and refIds', () => {
    expect(issues(panel({}), panel({ gridPos: { x: 12, y: 0, w: 12, h: 8 } }))).toContain('duplicate id');
    expect(
      issues(
        panel({
          targets: [
            { refId: 'A', expr: 'up' },
            { refId: 'A', expr: 'up' },
          ],
        }),
      ),
    ).toContain('duplicate refId');
  });
  it('finds a hard-coded datasource and a missing datasource variable', () => {
    expect(issues(panel({ datasource: { uid: 'prom-prod' } }))).toContain('${datasource}');
    expect(dashboardIssues({ uid: 'x', panels: [] }, KNOWN_SERIES).join()).toContain('no `datasource` variable');
  });
});
