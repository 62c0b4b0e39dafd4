// Our own rule linter (pint and mixtool cannot be installed here). Pure: it takes parsed rule files
// and a few lookups, and returns every problem it finds.
import { ALL_METRICS, exposedSeriesNames, HTTP_SERVER_DURATION_METRIC, type MetricDefinition } from '../../app/telemetry/metric-catalog.ts';
import { SEVERITIES } from '../../observability/conventions.ts';
import type { Rule, RuleFile } from '../../observability/load-rule-files.ts';
import {
  ANY_LABELS,
  COUNTER_SAFE_FUNCTIONS,
  labelSet,
  outputLabels,
  parsePromql,
  selectors,
  type LabelSet,
} from '../../observability/promql/analysis.ts';

export type LintIssue = { file: string; rule: string; message: string };

export type LintContext = {
  metrics?: readonly MetricDefinition[];
  runbookBaseUrl: string;
  /** Whether a repository-relative path (e.g. runbooks/X.md) exists. */
  fileExists: (relativePath: string) => boolean;
};

/** Labels Prometheus attaches to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];
const HUMANIZED_VALUE = /\$value\s*\|\s*humanize(Percentage|Duration|1024)?\b/;
const LABEL_REFERENCE = /\$labels\.([A-Za-z_][A-Za-z0-9_]*)|index\s+\$labels\s+"([^"]+)"/g;

/**
 * Metrics that Prometheus and Alertmanager export about themselves (not ours, so not in the
 * catalogue), read only by the meta-monitoring alerts in alerts/meta.rules.yml.
 */
export const EXTERNAL_METRICS: readonly Pick<MetricDefinition, 'name' | 'kind' | 'labels'>[] = [
  { name: 'prometheus_rule_evaluation_failures_total', kind: 'counter', labels: ['rule_group'] },
  { name: 'prometheus_notifications_errors_total', kind: 'counter', labels: ['alertmanager'] },
  { name: 'prometheus_notifications_sent_total', kind: 'counter', labels: ['alertmanager'] },
  { name: 'prometheus_notifications_dropped_total', kind: 'counter', labels: [] },
  { name: 'prometheus_notifications_queue_length', kind: 'gauge', labels: [] },
  { name: 'prometheus_notifications_queue_capacity', kind: 'gauge', labels: [] },
  { name: 'alertmanager_notifications_failed_total', kind: 'counter', labels: ['integration'] },
  { name: 'alertmanager_notifications_total', kind: 'counter', labels: ['integration'] },
];

/** The always-firing heartbeat alert: severity `none`, it never pages. */
const HEARTBEAT_ALERT = 'Watchdog';

/** Series names and label sets of everything the services export, plus Prometheus' own `up`. */
export function exportedSeries(metrics: readonly MetricDefinition[] = ALL_METRICS) {
  const labels = new Map<string, string[]>();
  const counters = new Set<string>();
  const add = (metric: Pick<MetricDefinition, 'name' | 'kind' | 'labels'>) => {
    for (const series of exposedSeriesNames(metric)) {
      labels.set(series, [...metric.labels, ...TARGET_LABELS, ...(series.endsWith('_bucket') ? ['le'] : [])]);
      // Histogram _bucket/_count/_sum series are counters too.
      if (metric.kind === 'counter' || metric.kind === 'histogram') counters.add(series);
    }
  };
  metrics.forEach(add);
  add({
    name: HTTP_SERVER_DURATION_METRIC,
    kind: 'histogram',
    labels: ['http_request_method', 'http_route', 'http_response_status_code', 'url_scheme', 'network_protocol_version'],
  });
  add({ name: 'up', kind: 'gauge', labels: [] });
  EXTERNAL_METRICS.forEach(add);
  return { labels, counters };
}

export function lintRuleFiles(files: readonly RuleFile[], context: LintContext): LintIssue[] {
  const issues: LintIssue[] = [];
  const { labels: exported, counters } = exportedSeries(context.metrics);
  const recordingRules = new Map<string, Rule>();
  for (const file of files)
    for (const group of file.groups) for (const rule of group.rules) if (rule.record) recordingRules.set(rule.record, rule);

  // Labels of a recorded series: what its expression keeps, plus its static labels.
  const recordedLabels = new Map<string, LabelSet>();
  const labelsOf = (metric: string): LabelSet => {
    const known = exported.get(metric);
    if (known) return labelSet(known);
    const rule = recordingRules.get(metric);
    if (!rule) return ANY_LABELS;
    if (!recordedLabels.has(metric)) {
      recordedLabels.set(metric, ANY_LABELS); // guards against cycles
      const out = outputLabels(parsePromql(rule.expr), labelsOf);
      recordedLabels.set(metric, out.any ? out : labelSet([...out.names, ...Object.keys(rule.labels ?? {})]));
    }
    return recordedLabels.get(metric)!;
  };

  for (const file of files) {
    for (const group of file.groups) {
      for (const rule of group.rules) {
        const name = rule.alert ?? rule.record ?? '(unnamed)';
        const report = (message: string) => issues.push({ file: file.path, rule: name, message });
        if (!rule.alert === !rule.record) report('a rule needs exactly one of `alert` or `record`');
        const parsed = parsePromql(rule.expr ?? '');
        for (const error of parsed.errors) report(`expression does not parse: ${error}`);
        if (parsed.errors.length) continue;

        for (const sel of selectors(parsed)) {
          if (!sel.metric) {
            report(`selector ${sel.text} has no metric name`);
            continue;
          }
          if (!exported.has(sel.metric) && !recordingRules.has(sel.metric)) {
            report(`metric ${sel.metric} is not exported by any service (app/telemetry/metric-catalog.ts) nor recorded by a rule`);
          }
          if (counters.has(sel.metric) && !COUNTER_SAFE_FUNCTIONS.has(sel.rangeFunction ?? '')) {
            report(
              `counter ${sel.metric} must be read through rate(), irate() or increase(), not ${sel.rangeFunction ? `${sel.rangeFunction}()` : 'directly'}`,
            );
          }
        }

        if (rule.record && !/^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+:[a-zA-Z0-9_:]+$/.test(rule.record)) {
          report('recording rule names follow level:metric:operations');
        }
        if (rule.alert) lintAlert(rule, parsed, labelsOf, context, report);
      }
    }
  }
  return issues;
}

function lintAlert(
  rule: Rule,
  parsed: ReturnType<typeof parsePromql>,
  labelsOf: (m: string) => LabelSet,
  context: LintContext,
  report: (m: string) => void,
) {
  const labels = rule.labels ?? {};
  const annotations = rule.annotations ?? {};
  if (!/^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$/.test(rule.alert!))
    report('alert names are CamelCase, starting with the component (e.g. WebhookGatewayDown)');
  const heartbeat = rule.alert === HEARTBEAT_ALERT && labels.severity === 'none';
  if (!heartbeat && !(SEVERITIES as readonly string[]).includes(labels.severity ?? ''))
    report(`severity must be one of ${SEVERITIES.join(', ')}`);
  if (!labels.service) report('a `service` label is required');

  const summary = annotations.summary;
  if (!summary) report('a `summary` annotation is required');
  else {
    if (summary.includes('{{')) report('summary must not use templates');
    if (!summary.endsWith('.')) report('summary must end with a full stop');
    if (/[.!?]\s+\S/.test(summary)) report('summary must be a single sentence');
  }
  const description = annotations.description;
  if (!description) report('a `description` annotation is required');
  else if (!HUMANIZED_VALUE.test(description)) report('description must give the current value, humanized ({{ $value | humanize… }})');

  const runbook = annotations.runbook_url;
  if (!runbook) report('a `runbook_url` annotation is required');
  else if (!runbook.startsWith(context.runbookBaseUrl)) report(`runbook_url must start with ${context.runbookBaseUrl}`);
  else {
    const path = `runbooks/${runbook.slice(context.runbookBaseUrl.length).split('#')[0]}`;
    if (!context.fileExists(path)) report(`runbook_url points to ${path}, which does not exist`);
  }
  if (!annotations.dashboard) report('a `dashboard` annotation is required');

  // $labels.x must name a label the alert will actually carry.
  const available = outputLabels(parsed, labelsOf);
  if (available.any) return;
  const carried = new Set([...available.names, ...Object.keys(labels), 'alertname']);
  const templates = [...Object.entries(annotations), ...Object.entries(labels)];
  for (const [key, value] of templates) {
    for (const match of value.matchAll(LABEL_REFERENCE)) {
      const label = match[1] ?? match[2]!;
      if (!carried.has(label))
        report(
          `${key} uses $labels.${label}, but the expression's result has only: ${[...available.names].sort().join(', ') || '(no labels)'}`,
        );
    }
  }
}
