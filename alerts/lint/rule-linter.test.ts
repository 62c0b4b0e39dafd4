import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../observability/repo-root.ts';
import { RUNBOOK_BASE_URL } from '../../observability/conventions.ts';
import { loadRuleFile, ruleFilePaths, type Rule } from '../../observability/load-rule-files.ts';
import { lintRuleFiles } from './rule-linter.ts';

const context = { runbookBaseUrl: RUNBOOK_BASE_URL, fileExists: (p: string) => existsSync(path.join(REPO_ROOT, p)) };

const good: Rule = {
  alert: 'WebhookGatewayErrorRateHigh',
  expr: 'sum by (reason) (rate(webhook_gateway_errors_total[5m])) > 0.1',
  for: '5m',
  labels: { severity: 'critical', service: 'gateway' },
  annotations: {
    summary: 'The gateway fails.',
    description: '{{ $value | humanize }}/s fail with {{ $labels.reason }}.',
    runbook_url: `${RUNBOOK_BASE_URL}WebhookGatewayErrorRateHigh.md`,
    dashboard: 'http://localhost:3300/d/event-bus-overview/event-bus-overview?viewPanel=4',
  },
};

const lint = (...rules: Rule[]) =>
  lintRuleFiles([{ path: 'seeded.rules.yml', groups: [{ name: 'seeded', rules }] }], context).map((i) => i.message);

describe('rule linter', () => {
  it('passes every rule file the project ships', () => {
    const files = ruleFilePaths().map((p) => loadRuleFile(p));
    expect(files.length).toBeGreaterThan(0);
    expect(lintRuleFiles(files, context)).toEqual([]);
  });

  it('passes a well-formed rule', () => {
    expect(lint(good)).toEqual([]);
  });

  it('knows Prometheus and Alertmanager metrics only from their own list, and severity none only for Watchdog', () => {
    const meta: Rule = {
      ...good,
      alert: 'AlertmanagerNotificationsFailing',
      expr: 'sum by (integration) (rate(alertmanager_notifications_failed_total[5m])) > 0',
      annotations: {
        ...good.annotations,
        description: '{{ $value | humanize }}/s to {{ $labels.integration }}.',
        runbook_url: `${RUNBOOK_BASE_URL}AlertmanagerNotificationsFailing.md`,
      },
    };
    expect(lint(meta)).toEqual([]);
    expect(lint({ ...meta, expr: 'alertmanager_notifications_failed_total > 0' })).toEqual([
      'counter alertmanager_notifications_failed_total must be read through rate(), irate() or increase(), not directly',
    ]);
    const watchdog: Rule = { ...good, alert: 'Watchdog', expr: 'vector(1)', labels: { severity: 'none', service: 'monitoring' } };
    expect(
      lint({
        ...watchdog,
        annotations: { ...good.annotations, description: '{{ $value | humanize }}', runbook_url: `${RUNBOOK_BASE_URL}Watchdog.md` },
      }),
    ).toEqual([]);
    expect(lint({ ...good, labels: { severity: 'none', service: 'gateway' } })).toEqual(['severity must be one of critical, warning']);
  });

  it.each<[string, Partial<Rule>, RegExp]>([
    ['a lower-case name', { alert: 'webhook_gateway_down' }, /CamelCase/],
    ['a bad severity', { labels: { severity: 'page', service: 'gateway' } }, /severity must be one of critical, warning/],
    ['no service label', { labels: { severity: 'warning' } }, /`service` label is required/],
    [
      'a templated summary',
      { annotations: { ...good.annotations, summary: 'Gateway {{ $labels.instance }} fails.' } },
      /summary must not use templates/,
    ],
    ['a summary without a full stop', { annotations: { ...good.annotations, summary: 'The gateway fails' } }, /full stop/],
    ['a two-sentence summary', { annotations: { ...good.annotations, summary: 'The gateway fails. Check NATS.' } }, /single sentence/],
    ['a description without the value', { annotations: { ...good.annotations, description: 'The gateway fails.' } }, /humanized/],
    ['a raw, un-humanized value', { annotations: { ...good.annotations, description: '{{ $value }} errors' } }, /humanized/],
    ['no runbook', { annotations: { ...good.annotations, runbook_url: '' } }, /runbook_url/],
    [
      'a runbook that does not exist',
      { annotations: { ...good.annotations, runbook_url: `${RUNBOOK_BASE_URL}NoSuchAlert.md` } },
      /runbooks\/NoSuchAlert.md, which does not exist/,
    ],
    ['a runbook elsewhere', { annotations: { ...good.annotations, runbook_url: 'https://wiki.example.com/x' } }, /must start with/],
    ['no dashboard', { annotations: { ...good.annotations, dashboard: '' } }, /`dashboard` annotation is required/],
    ['a metric no service exports', { expr: 'rate(webhook_gateway_errorz_total[5m]) > 0' }, /webhook_gateway_errorz_total is not exported/],
    [
      'a counter compared directly',
      { expr: 'sum by (reason) (webhook_gateway_errors_total) > 10' },
      /counter webhook_gateway_errors_total must be read through rate\(\).*not directly/,
    ],
    ['a counter through delta()', { expr: 'sum by (reason) (delta(webhook_gateway_errors_total[5m])) > 10' }, /not delta\(\)/],
    [
      'a histogram bucket read raw',
      { expr: 'histogram_quantile(0.9, sum by (le, reason) (webhook_gateway_processing_duration_seconds_bucket)) > 1' },
      /counter webhook_gateway_processing_duration_seconds_bucket/,
    ],
    [
      '$labels of a label summed away',
      { expr: 'sum(rate(webhook_gateway_errors_total[5m])) > 0.1' },
      /uses \$labels.reason, but the expression's result has only: \(no labels\)/,
    ],
    ['a syntax error', { expr: 'sum(rate(webhook_gateway_errors_total[5m]) > 0.1' }, /does not parse/],
  ])('fails on %s', (_name, change, message) => {
    const messages = lint({ ...good, ...change });
    expect(
      messages.some((m) => message.test(m)),
      messages.join('\n'),
    ).toBe(true);
  });

  it('knows the labels of recording rules', () => {
    const record: Rule = { record: 'gateway:errors:rate5m', expr: 'sum by (reason) (rate(webhook_gateway_errors_total[5m]))' };
    expect(lint(record, { ...good, expr: 'gateway:errors:rate5m > 0.1' })).toEqual([]);
    const summed: Rule = { record: 'gateway:errors:rate5m', expr: 'sum(rate(webhook_gateway_errors_total[5m]))' };
    expect(lint(summed, { ...good, expr: 'gateway:errors:rate5m > 0.1' }).join()).toMatch(/\$labels.reason/);
  });

  it('requires level:metric:operations names for recording rules', () => {
    expect(lint({ record: 'gateway_errors', expr: 'sum(rate(webhook_gateway_errors_total[5m]))' }).join()).toMatch(
      /level:metric:operations/,
    );
  });
});
