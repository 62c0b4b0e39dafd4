import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleFile, ruleFilePaths } from '../observability/load-rule-files.ts';
import { REPO_ROOT } from '../observability/repo-root.ts';
import { alertThresholds, missingThresholds, shownValues, type ThresholdPanel } from './alert-thresholds.ts';
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

describe('alert thresholds on the dashboards', () => {
  // Reads the rule files as they are now: a new or changed alert must bring its threshold line along.
  const byUid = new Map<string, Dashboard>(DASHBOARDS.map((d) => [d.uid, committed(d.file)]));

  it("every panel an alert links to shows that alert's threshold", () => {
    expect(missingThresholds(rules, byUid)).toEqual([]);
  });

  it('checks enough alerts to mean something', () => {
    const checked = rules.filter((r) => r.annotations?.dashboard && alertThresholds(r.expr).length > 0);
    expect(checked.length).toBeGreaterThanOrEqual(15);
  });

  it('draws the SLO lines: budget red below 0, burn rates 1/3/6/14.4, latency 2 s, error ratio 1 %', () => {
    const panel = (uid: string, id: number) => byUid.get(uid)!.panels!.find((p) => p.id === id) as ThresholdPanel;
    expect([...shownValues(panel('event-bus-slo', 1))]).toContain(0);
    expect(panel('event-bus-slo', 1).fieldConfig?.defaults?.thresholds?.steps?.[0]).toMatchObject({ value: null, color: 'red' });
    expect([...shownValues(panel('event-bus-slo', 3))].sort((a, b) => a - b)).toEqual([1, 3, 6, 14.4]);
    expect([...shownValues(panel('event-bus-overview', 2))]).toEqual(expect.arrayContaining([1.5, 2]));
    expect([...shownValues(panel('event-bus-overview', 4))]).toContain(0.01);
  });

  it('turns on table legends with last and max on every time series, and has job and instance variables', () => {
    for (const d of byUid.values())
      for (const p of (d.panels ?? []) as (ThresholdPanel & { options?: { legend?: { displayMode?: string; calcs?: string[] } } })[])
        if (p.type === 'timeseries')
          expect(p.options?.legend, `${d.uid} panel ${p.id}`).toMatchObject({ displayMode: 'table', calcs: ['lastNotNull', 'max'] });
    const overview = byUid.get('event-bus-overview')!;
    expect(overview.templating?.list?.map((v) => v.name)).toEqual(expect.arrayContaining(['job', 'instance']));
  });
});

describe('alert threshold checks (they can fail)', () => {
  it.each([
    ['sum(rate(a[5m])) / sum(rate(b[5m])) > 0.01', [{ op: '>', value: 0.01 }]],
    ['up{job="x"} == 0 or absent(up{job="x"})', [{ op: '==', value: 0 }]],
    ['slo:error_budget_remaining:ratio <= 0', [{ op: '<=', value: 0 }]],
    ['(a > 14.4 and b > 14.4) or (c > 6 and d > 6)', [14.4, 6].map((value) => ({ op: '>', value }))],
    ['max(x) > 300 and max(deriv(x[10m])) > 0.5', [{ op: '>', value: 300 }]],
    ['sum(rate(e[5m])) / sum(rate(r[5m])) > 0.01 and sum(increase(r[5m])) >= 300', [{ op: '>', value: 0.01 }]],
    ['max by (c) (p) > 0 and on (c) (sum by (c) (increase(h[5m])) == 0)', [{ op: '>', value: 0 }]],
    ['x > 3000 or (x > 300 and y > 0.5)', [3000, 300].map((value) => ({ op: '>', value }))],
    ['increase(d[5m]) >= 5', [{ op: '>=', value: 5 }]],
    ['max(x) == bool 1', [{ op: '==', value: 1 }]],
    ['1 - x / 0.01', []],
    ['absent(x)', []],
  ])('%s', (expr, expected) => expect(alertThresholds(expr)).toEqual(expected));

  const dashboard = (panel: object) =>
    new Map<string, Dashboard>([
      ['d', { uid: 'd', panels: [{ id: 4, type: 'timeseries', title: 'p', targets: [{ refId: 'A', expr: 'x' }], ...panel }] }],
    ]);
  const rule = (expr: string, link = 'http://g/d/d/d?viewPanel=4') => ({ alert: 'A', expr, annotations: { dashboard: link } });
  const steps = (...values: number[]) => ({
    mode: 'absolute',
    steps: [{ value: null, color: 'green' }, ...values.map((value) => ({ value, color: 'red' }))],
  });

  it('finds a threshold the panel does not draw', () =>
    expect(missingThresholds([rule('x > 0.01')], dashboard({ fieldConfig: { defaults: { thresholds: steps(0.05) } } }))).toEqual([
      'A: `> 0.01` is not a threshold of panel 4 "p" in d',
    ]));
  it('accepts a threshold in a per-series override', () =>
    expect(
      missingThresholds(
        [rule('x > 0.01')],
        dashboard({ fieldConfig: { defaults: {}, overrides: [{ properties: [{ id: 'thresholds', value: steps(0.01) }] }] } }),
      ),
    ).toEqual([]));
  it('accepts a value mapping for an equality', () =>
    expect(
      missingThresholds(
        [rule('x == 0')],
        dashboard({ fieldConfig: { defaults: { mappings: [{ type: 'value', options: { '0': { text: 'DOWN' } } }] } } }),
      ),
    ).toEqual([]));
  it('finds a link to a panel that does not exist', () =>
    expect(missingThresholds([rule('x > 1', 'http://g/d/d/d?viewPanel=9')], dashboard({})).join()).toContain('no panel'));
  it('without viewPanel, checks the panels that read the same series', () => {
    const link = 'http://g/d/d/d?var-slo=x';
    expect(missingThresholds([rule('x > 6', link)], dashboard({ fieldConfig: { defaults: { thresholds: steps(6) } } }))).toEqual([]);
    expect(
      missingThresholds([rule('x > 14.4', link)], dashboard({ fieldConfig: { defaults: { thresholds: steps(6) } } })).join(),
    ).toContain('14.4');
    // No panel reads y: the alert is tied to no panel (a meta alert linking the dashboard as a whole).
    expect(missingThresholds([rule('y > 1', link)], dashboard({}))).toEqual([]);
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
