// The reference tables of the Monitoring Guide (docs/monitoring.md): every metric, recording rule,
// alert and dashboard panel, and which alerts and panels read which metric. They are rendered from
// the metric catalogue, the rule files and the dashboards, between marker comments, so the prose
// around them stays hand-written and the tables cannot go stale (generate-artifacts.test.ts).
import { ALL_METRICS, exposedSeriesNames, HTTP_SERVER_DURATION_METRIC, type MetricDefinition } from '../app/telemetry/metric-catalog.ts';
import { expandVariables } from '../dashboards/validate.ts';
import { RUNBOOK_BASE_URL } from './conventions.ts';
import type { Rule, RuleFile } from './load-rule-files.ts';
import { parsePromql, selectors, type Selector } from './promql/analysis.ts';

export const MONITORING_GUIDE = 'docs/monitoring.md';

/** The slice of a generated dashboard's JSON the guide reads. */
export type DashboardJson = {
  uid: string;
  title: string;
  description?: string;
  panels?: PanelJson[];
};
export type PanelJson = {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  targets?: { refId?: string; expr?: string }[];
  fieldConfig?: { defaults?: { thresholds?: { mode?: string; steps?: { color?: string; value: number | null }[] } } };
  /** A collapsed row keeps its panels inside it. */
  panels?: PanelJson[];
};

export type GuideSources = {
  metrics: readonly MetricDefinition[];
  ruleFiles: readonly RuleFile[];
  dashboards: readonly DashboardJson[];
};

// Every service records it through the OpenTelemetry HTTP instrumentation, outside the catalogue's
// METRICS; the rule linter counts it as exported, so the guide lists it with them.
export const HTTP_SERVER_DURATION: MetricDefinition = {
  name: HTTP_SERVER_DURATION_METRIC,
  kind: 'histogram',
  services: ['publisher', 'gateway', 'consumer'],
  help: 'Duration of every HTTP request a service answered (OpenTelemetry semantic conventions); the publisher flow panel counts its 202s.',
  labels: ['http_request_method', 'http_route', 'http_response_status_code'],
  unit: 's',
};

export const GUIDE_METRICS: readonly MetricDefinition[] = [...ALL_METRICS, HTTP_SERVER_DURATION];

/** Series that no service of ours exports, by what makes them. */
const SERIES_SOURCES: { test: (name: string) => boolean; source: string }[] = [
  { test: (n) => n === 'up', source: 'Prometheus, per scrape target: 1 when the last scrape succeeded, 0 when it failed' },
  { test: (n) => n === 'ALERTS' || n === 'ALERTS_FOR_STATE', source: 'Prometheus: one series per pending or firing alert' },
  { test: (n) => n.startsWith('prometheus_'), source: "Prometheus' own /metrics" },
  { test: (n) => n.startsWith('alertmanager_'), source: "Alertmanager's own /metrics" },
  { test: (n) => n.startsWith('gnatsd_') || n.startsWith('nats_') || n.startsWith('jetstream_'), source: 'the NATS Prometheus exporter' },
  { test: (n) => n.startsWith('probe_'), source: 'the blackbox exporter' },
];

const BEGIN = (name: string) => `<!-- BEGIN GENERATED ${name}: npm run generate rewrites this part -->`;
const END = (name: string) => `<!-- END GENERATED ${name} -->`;

/** Replaces the text between each section's markers, keeping everything else. */
export function spliceGenerated(doc: string, sections: Record<string, string>): string {
  let out = doc;
  for (const [name, body] of Object.entries(sections)) {
    const begin = out.indexOf(BEGIN(name));
    const end = out.indexOf(END(name));
    if (begin < 0 || end < begin)
      throw new Error(`${MONITORING_GUIDE} lacks the markers of its "${name}" section:\n${BEGIN(name)}\n${END(name)}`);
    out = `${out.slice(0, begin + BEGIN(name).length)}\n\n${body.trimEnd()}\n\n${out.slice(end)}`;
  }
  return out;
}

export function renderMonitoringGuide(doc: string, sources: GuideSources): string {
  const usage = analyseUsage(sources);
  return spliceGenerated(doc, {
    metrics: metricsTable(sources.metrics, usage),
    'other-series': otherSeriesTable(usage),
    'recording-rules': recordingRulesTable(sources.ruleFiles, usage),
    slos: sloTable(sources.ruleFiles, usage),
    alerts: alertTables(sources, usage),
    panels: panelTables(sources),
  });
}

// ---------------------------------------------------------------- who reads what

type PanelRef = { uid: string; id: number; title: string };
type Readers = { alerts: Set<string>; panels: Map<string, PanelRef> };
export type Usage = {
  /** By metric family name, recording rule name or other series name: the alerts and panels that read it. */
  readers: Map<string, Readers>;
  /** Per alert: the metric families (and other series) it reads, through any recording rules. */
  alertReads: Map<string, Set<string>>;
  /** Per recording rule name: the metric families it reads. */
  recordReads: Map<string, Set<string>>;
  /** Series read by rules or panels that are neither catalogued metrics nor recording rules. */
  otherSeries: Set<string>;
};

/** A recording rule can feed a selector unless one of its static labels contradicts a matcher. */
export function ruleMatchesSelector(rule: Pick<Rule, 'labels'>, sel: Pick<Selector, 'matchers'>): boolean {
  return sel.matchers.every(({ label, op, value }) => {
    const fixed = rule.labels?.[label];
    if (label === '__name__' || fixed === undefined) return true;
    if (op === '=') return fixed === value;
    if (op === '!=') return fixed !== value;
    let matches: boolean;
    try {
      matches = new RegExp(`^(?:${value})$`).test(fixed);
    } catch {
      return true; // a regex Prometheus would read differently: assume it may match
    }
    return op === '=~' ? matches : !matches;
  });
}

/** Exposed series name (e.g. x_bucket) to its metric family (x). */
function familiesBySeries(metrics: readonly MetricDefinition[]): Map<string, string> {
  return new Map(metrics.flatMap((m) => exposedSeriesNames(m).map((series) => [series, m.name] as const)));
}

export function analyseUsage(sources: GuideSources): Usage {
  const familyOf = familiesBySeries(sources.metrics);
  const records = sources.ruleFiles.flatMap((f) => f.groups.flatMap((g) => g.rules.filter((r) => r.record)));
  const recordNames = new Set(records.map((r) => r.record!));
  const otherSeries = new Set<string>();

  // The metric families and recording rules an expression reads, following recording rules down.
  const reads = (expr: string, seen = new Set<Rule>()): Set<string> => {
    const out = new Set<string>();
    const parsed = parsePromql(expr);
    if (parsed.errors.length) return out;
    for (const sel of selectors(parsed)) {
      if (!sel.metric) continue;
      if (!recordNames.has(sel.metric)) {
        const family = familyOf.get(sel.metric);
        if (!family) otherSeries.add(sel.metric);
        out.add(family ?? sel.metric);
        continue;
      }
      out.add(sel.metric);
      for (const rule of records) {
        if (rule.record !== sel.metric || seen.has(rule) || !ruleMatchesSelector(rule, sel)) continue;
        for (const name of reads(rule.expr, new Set([...seen, rule]))) out.add(name);
      }
    }
    return out;
  };

  const readers = new Map<string, Readers>();
  const readersOf = (name: string) => {
    if (!readers.has(name)) readers.set(name, { alerts: new Set(), panels: new Map() });
    return readers.get(name)!;
  };
  const alertReads = new Map<string, Set<string>>();
  const recordReads = new Map<string, Set<string>>();
  for (const rule of records) {
    const all = recordReads.get(rule.record!) ?? new Set();
    for (const name of reads(rule.expr, new Set([rule]))) if (!recordNames.has(name)) all.add(name);
    recordReads.set(rule.record!, all);
  }
  for (const file of sources.ruleFiles)
    for (const group of file.groups)
      for (const rule of group.rules) {
        if (!rule.alert) continue;
        const names = reads(rule.expr);
        for (const name of names) readersOf(name).alerts.add(rule.alert);
        alertReads.set(rule.alert, new Set([...(alertReads.get(rule.alert) ?? []), ...[...names].filter((n) => !recordNames.has(n))]));
      }
  for (const d of sources.dashboards)
    for (const panel of flattenPanels(d.panels ?? [])) {
      const ref: PanelRef = { uid: d.uid, id: panel.id ?? 0, title: panel.title ?? '' };
      for (const t of panel.targets ?? [])
        for (const name of reads(expandVariables(t.expr ?? ''))) readersOf(name).panels.set(`${d.uid}/${ref.id}`, ref);
    }
  return { readers, alertReads, recordReads, otherSeries };
}

/** Panels in dashboard order, with the panels of collapsed rows in place of the row. */
export function flattenPanels(panels: readonly PanelJson[]): PanelJson[] {
  return panels.flatMap((p) => (p.type === 'row' ? flattenPanels(p.panels ?? []) : [p]));
}

// ---------------------------------------------------------------- tables

/** A Markdown table with aligned columns; `|` inside a cell is escaped, line breaks become spaces. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (s: string) => s.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
  const all = [header, ...rows].map((r) => r.map(cell));
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => `| ${widths.map((w, i) => (r[i] ?? '').padEnd(w)).join(' | ')} |`;
  return [line(all[0]!), line(widths.map((w) => '-'.repeat(w))), ...all.slice(1).map(line)].join('\n');
}

const code = (s: string) => `\`${s}\``;
const list = (items: Iterable<string>) => [...items].join(', ') || '—';
const panelName = (p: PanelRef) => `${p.title} (${p.uid} #${p.id})`;
const alertsOf = (usage: Usage, name: string) => list([...(usage.readers.get(name)?.alerts ?? [])].sort());
const panelsOf = (usage: Usage, name: string) => list([...(usage.readers.get(name)?.panels.values() ?? [])].map(panelName));

function metricsTable(metrics: readonly MetricDefinition[], usage: Usage): string {
  return markdownTable(
    ['Metric', 'Type', 'Labels', 'Exported by', 'Meaning', 'Alerts', 'Panels'],
    metrics.map((m) => [
      code(m.name),
      m.kind,
      list(m.labels.map(code)),
      list(m.services),
      m.onlyWhen ? `${m.help} Only when ${m.onlyWhen}.` : m.help,
      alertsOf(usage, m.name),
      panelsOf(usage, m.name),
    ]),
  );
}

function otherSeriesTable(usage: Usage): string {
  const names = [...usage.otherSeries].sort();
  if (!names.length) return 'None: every series the rules and dashboards read is exported by a service or recorded by a rule.';
  return markdownTable(
    ['Series', 'Made by', 'Alerts', 'Panels'],
    names.map((n) => [
      code(n),
      SERIES_SOURCES.find((s) => s.test(n))?.source ?? 'not by a service of this repository',
      alertsOf(usage, n),
      panelsOf(usage, n),
    ]),
  );
}

function recordingRulesTable(files: readonly RuleFile[], usage: Usage): string {
  const byName = new Map<string, { files: Set<string>; slos: Set<string> }>();
  for (const file of files)
    for (const group of file.groups)
      for (const rule of group.rules) {
        if (!rule.record) continue;
        const entry = byName.get(rule.record) ?? { files: new Set(), slos: new Set() };
        entry.files.add(file.path);
        if (rule.labels?.slo) entry.slos.add(rule.labels.slo);
        byName.set(rule.record, entry);
      }
  return markdownTable(
    ['Recording rule', 'Defined in', 'One series per', 'Reads', 'Alerts', 'Panels'],
    [...byName].map(([name, e]) => [
      code(name),
      list([...e.files].map(code)),
      e.slos.size ? `SLO: ${list(e.slos)}` : '—',
      list([...(usage.recordReads.get(name) ?? [])].map(code)),
      alertsOf(usage, name),
      panelsOf(usage, name),
    ]),
  );
}

/** `{{ if $labels.consumer }}consumer{{ else }}gateway{{ end }}` reads as "consumer or gateway". */
export function readableTemplate(value: string): string {
  return value
    .replace(/\{\{-?\s*else\s*-?\}\}/g, ' or ')
    .replace(/\{\{[^}]*\}\}/g, '')
    .trim();
}

/** runbooks/<page> relative to docs/, for a runbook_url under RUNBOOK_BASE_URL. */
export function runbookLink(url: string | undefined): string {
  if (!url) return '—';
  if (!url.startsWith(RUNBOOK_BASE_URL)) return url;
  const page = url.slice(RUNBOOK_BASE_URL.length);
  return `[${page.split('#')[0]}](../runbooks/${page})`;
}

/** The dashboard uid and panel id (`viewPanel=N`) an alert's `dashboard` annotation opens. */
export function dashboardLink(url: string | undefined): { uid?: string; panelId?: number } {
  const panel = url?.match(/[?&]viewPanel=(?:panel-)?(\d+)/)?.[1];
  return { uid: url?.match(/\/d\/([^/?#]+)/)?.[1], panelId: panel === undefined ? undefined : Number(panel) };
}

function dashboardTarget(url: string | undefined, dashboards: readonly DashboardJson[]): string {
  if (!url) return '—';
  const { uid, panelId } = dashboardLink(url);
  const dashboard = dashboards.find((d) => d.uid === uid);
  if (!dashboard) return url;
  const panel = flattenPanels(dashboard.panels ?? []).find((p) => p.id === panelId);
  const variables = [...url.matchAll(/[?&]var-([^=&#]+)=([^&#]*)/g)].map(([, name, value]) => `${name}=${decodeURIComponent(value!)}`);
  const where = panel ? panelName({ uid: dashboard.uid, id: panelId!, title: panel.title ?? '' }) : dashboard.title;
  return variables.length ? `${where} (${variables.join(', ')})` : where;
}

/** One row per `slo` label value: its objective, what its SLI reads, its alerts and runbooks. */
function sloTable(files: readonly RuleFile[], usage: Usage): string {
  const rules = files.flatMap((f) => f.groups.flatMap((g) => g.rules)).filter((r) => r.labels?.slo);
  const names = [...new Set(rules.map((r) => r.labels!.slo!))];
  if (!names.length) return 'No rule carries an `slo` label.';
  return markdownTable(
    ['SLO', 'Objective', 'Service', 'SLI reads', 'Alerts', 'Runbook'],
    names.map((slo) => {
      const own = rules.filter((r) => r.labels!.slo === slo);
      const alerts = own.filter((r) => r.alert);
      // The generator records the objective as a constant: vector(0.99).
      const objective = own.find((r) => r.record === 'slo:objective:ratio')?.expr.match(/^\s*vector\(\s*([\d.]+)\s*\)\s*$/)?.[1];
      return [
        code(slo),
        objective ? `${Number((Number(objective) * 100).toPrecision(6))} %` : '—',
        list(new Set(own.map((r) => r.labels?.service ?? '—'))),
        list(new Set(alerts.flatMap((a) => [...(usage.alertReads.get(a.alert!) ?? [])].map(code)))),
        list(alerts.map((a) => a.alert!)),
        list(new Set(alerts.map((a) => runbookLink(a.annotations?.runbook_url)))),
      ];
    }),
  );
}

function alertTables(sources: GuideSources, usage: Usage): string {
  return sources.ruleFiles
    .map((file) => {
      const alerts = file.groups.flatMap((g) => g.rules.filter((r) => r.alert));
      if (!alerts.length) return '';
      const table = markdownTable(
        ['Alert', 'Severity', 'Service', 'For', 'Meaning', 'Reads', 'Runbook', 'Dashboard'],
        alerts.map((r) => [
          code(r.alert!),
          r.labels?.severity ?? '—',
          readableTemplate(r.labels?.service ?? '—'),
          r.for ?? '0s',
          r.annotations?.summary ?? '—',
          list([...(usage.alertReads.get(r.alert!) ?? [])].map(code)),
          runbookLink(r.annotations?.runbook_url),
          dashboardTarget(r.annotations?.dashboard, sources.dashboards),
        ]),
      );
      return `#### ${code(file.path)}\n\n${table}`;
    })
    .filter(Boolean)
    .join('\n\n');
}

/** Threshold steps as "value colour", lowest first (the base step has no value). */
export function thresholdText(panel: PanelJson): string {
  const steps = panel.fieldConfig?.defaults?.thresholds?.steps ?? [];
  const suffix = panel.fieldConfig?.defaults?.thresholds?.mode === 'percentage' ? ' %' : '';
  return list(steps.filter((s) => s.value !== null && s.value !== undefined).map((s) => `${s.value}${suffix} ${s.color ?? ''}`.trim()));
}

/** Per dashboard uid and panel id: the alerts whose `dashboard` annotation opens that panel. */
function alertLinks(sources: GuideSources): Map<string, string[]> {
  const links = new Map<string, string[]>();
  for (const file of sources.ruleFiles)
    for (const group of file.groups)
      for (const rule of group.rules) {
        const { uid, panelId } = dashboardLink(rule.annotations?.dashboard);
        if (!rule.alert || !uid || panelId === undefined) continue;
        const key = `${uid}/${panelId}`;
        if (!links.get(key)?.includes(rule.alert)) links.set(key, [...(links.get(key) ?? []), rule.alert]);
      }
  return links;
}

function panelTables(sources: GuideSources): string {
  const familyOf = familiesBySeries(sources.metrics);
  const links = alertLinks(sources);
  return sources.dashboards
    .map((d) => {
      const table = markdownTable(
        ['#', 'Panel', 'Type', 'How to read it', 'Reads', 'Thresholds', 'Alerts that open it'],
        flattenPanels(d.panels ?? []).map((p) => {
          const read = new Set<string>();
          for (const t of p.targets ?? []) for (const s of directSeries(expandVariables(t.expr ?? ''))) read.add(familyOf.get(s) ?? s);
          return [
            String(p.id ?? '—'),
            p.title ?? '—',
            p.type,
            p.description ?? '—',
            list([...read].map(code)),
            thresholdText(p),
            list([...(links.get(`${d.uid}/${p.id}`) ?? [])].sort()),
          ];
        }),
      );
      return `### ${d.title}\n\n${`Dashboard uid ${code(d.uid)}. ${d.description ?? ''}`.trimEnd()}\n\n${table}`;
    })
    .join('\n\n');
}

/** The series an expression names directly (recording rules stay recording rules). */
function directSeries(expr: string): string[] {
  const parsed = parsePromql(expr);
  if (parsed.errors.length) return [];
  return [...new Set(selectors(parsed).flatMap((s) => (s.metric ? [s.metric] : [])))];
}
