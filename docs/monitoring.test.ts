// The Monitoring Guide stays true: every metric, alert and dashboard panel has its row in
// docs/monitoring.md, and every PromQL block in docs/ and runbooks/ parses and reads real series.
// (That the generated tables match their sources is generate-artifacts.test.ts's job.)
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportedSeries } from '../alerts/lint/rule-linter.ts';
import { knownSeries } from '../dashboards/known-series.ts';
import { loadRuleFile, ruleFilePaths } from '../observability/load-rule-files.ts';
import { type DashboardJson, flattenPanels, GUIDE_METRICS, MONITORING_GUIDE } from '../observability/monitoring-guide.ts';
import { promqlBlocks, promqlIssues } from '../observability/promql/markdown-queries.ts';
import { REPO_ROOT } from '../observability/repo-root.ts';

const read = (relative: string) => readFileSync(path.join(REPO_ROOT, relative), 'utf8');
const guide = read(MONITORING_GUIDE);

function markdownFiles(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? markdownFiles(path.join(dir, e.name)) : e.name.endsWith('.md') ? [path.join(dir, e.name)] : []))
    .sort();
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A table row whose first cell is exactly `cell` (a mention in prose or in another column does not count). */
const hasRow = (doc: string, cell: string) => new RegExp(`^\\| ${escapeRegExp(cell)} +\\|`, 'm').test(doc);
const missingRows = (doc: string, cells: readonly string[]) => cells.filter((c) => !hasRow(doc, c));

/** The text under a `### <title>` heading, up to the next heading of level 1 to 3. */
function section(doc: string, title: string): string {
  const heading = new RegExp(`^### ${escapeRegExp(title)}\\n`, 'm').exec(doc);
  if (!heading) return '';
  const rest = doc.slice(heading.index + heading[0].length);
  const end = rest.search(/^#{1,3} /m);
  return end < 0 ? rest : rest.slice(0, end);
}

const metricCells = GUIDE_METRICS.map((m) => `\`${m.name}\``);
const alertCells = ruleFilePaths()
  .map((p) => loadRuleFile(p))
  .flatMap((f) => f.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [`\`${r.alert}\``] : []))));
const dashboards = readdirSync(path.join(REPO_ROOT, 'dashboards/generated'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(read(`dashboards/generated/${f}`)) as DashboardJson);

const hasPanelRow = (text: string, panel: { id?: number; title?: string }) =>
  new RegExp(`^\\| ${panel.id} +\\| ${escapeRegExp(panel.title ?? '')} +\\|`, 'm').test(text);

function missingPanels(doc: string): string[] {
  return dashboards.flatMap((d) => {
    const text = section(doc, d.title);
    return flattenPanels(d.panels ?? [])
      .filter((p) => !hasPanelRow(text, p))
      .map((p) => `${d.title}: panel ${p.id} "${p.title}"`);
  });
}

const known = { series: knownSeries(), counters: exportedSeries().counters };
const queryFiles = [...markdownFiles('docs'), ...markdownFiles('runbooks')];

describe('docs/monitoring.md', () => {
  it('has a row for every metric in the catalogue', () => {
    expect(metricCells.length).toBeGreaterThan(20);
    expect(missingRows(guide, metricCells)).toEqual([]);
  });

  it('has a row for every alert of every rule file, hand-written and generated', () => {
    expect(alertCells.length).toBeGreaterThan(20);
    expect(missingRows(guide, alertCells)).toEqual([]);
  });

  it('has a row for every panel of every generated dashboard, under that dashboard', () => {
    expect(dashboards.length).toBeGreaterThanOrEqual(2);
    expect(missingPanels(guide)).toEqual([]);
  });

  it('notices a missing row (the checks can fail)', () => {
    const withoutRow = guide.replace(new RegExp(`^\\| ${escapeRegExp(metricCells[0]!)} +\\|.*\\n`, 'm'), '');
    expect(missingRows(withoutRow, metricCells)).toEqual([metricCells[0]]);
    const withoutAlert = guide.replace(new RegExp(`^\\| ${escapeRegExp(alertCells[0]!)} +\\|.*\\n`, 'm'), '');
    expect(missingRows(withoutAlert, alertCells)).toEqual([alertCells[0]]);
    const panel = flattenPanels(dashboards[0]!.panels ?? [])[0]!;
    const withoutPanel = guide.replace(new RegExp(`^\\| ${panel.id} +\\| ${escapeRegExp(panel.title ?? '')} +\\|.*\\n`, 'm'), '');
    expect(hasPanelRow(section(guide, dashboards[0]!.title), panel)).toBe(true);
    expect(missingPanels(withoutPanel)).toEqual([`${dashboards[0]!.title}: panel ${panel.id} "${panel.title}"`]);
  });
});

describe('PromQL in docs/ and runbooks/', () => {
  it('finds the blocks: the guide has its queries and the runbooks theirs', () => {
    expect(promqlBlocks(guide).length).toBeGreaterThanOrEqual(20);
    expect(markdownFiles('runbooks').flatMap((f) => promqlBlocks(read(f))).length).toBeGreaterThanOrEqual(20);
  });

  it.each(queryFiles)('every ```promql block of %s parses and reads exported metrics or recording rules', (file) => {
    const issues = promqlBlocks(read(file)).flatMap((b) => promqlIssues(b.expr, known).map((i) => `${file}:${b.line}: ${i}`));
    expect(issues).toEqual([]);
  });
});
