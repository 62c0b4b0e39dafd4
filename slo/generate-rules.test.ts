import { describe, expect, it } from 'vitest';
import { parsePromql } from '../observability/promql/analysis.ts';
import { ALERT_WINDOWS, sloRuleGroups } from './generate-rules.ts';
import { loadSloSpecs, parseSloSpecs } from './spec.ts';

const specs = loadSloSpecs();
const rulesOf = (name: string) => sloRuleGroups(specs).groups.find((g) => g.name === `slo-${name}`)!.rules;

describe('SLO spec', () => {
  it('rejects a spec without a {{window}} placeholder or with both good and bad', () => {
    const yaml = (query: string, extra = '') => `apiVersion: openslo/v1
kind: SLO
metadata: { name: x, displayName: X }
spec:
  description: d
  service: gateway
  budgetingMethod: Occurrences
  indicator:
    metadata: { name: i }
    spec:
      ratioMetric:
        counter: true
        bad: { metricSource: { type: Prometheus, spec: { query: '${query}' } } }
${extra}        total: { metricSource: { type: Prometheus, spec: { query: 'sum(rate(x_total[{{window}}]))' } } }
  timeWindow: [{ duration: 30d, isRolling: true }]
  objectives: [{ displayName: o, target: 0.99 }]
  alerting: { name: Xx, runbookUrl: 'https://x/y.md', page: { severity: critical }, ticket: { severity: warning }, exhausted: { severity: warning } }
`;
    expect(() => parseSloSpecs(yaml('sum(rate(x_total[5m]))'))).toThrow(/window/);
    expect(() =>
      parseSloSpecs(
        yaml(
          'sum(rate(x_total[{{window}}]))',
          "        good: { metricSource: { type: Prometheus, spec: { query: 'sum(rate(y_total[{{window}}]))' } } }\n",
        ),
      ),
    ).toThrow(/exactly one of good or bad/);
    expect(parseSloSpecs(yaml('sum(rate(x_total[{{window}}]))'))[0]!.objective).toBe(0.99);
  });
});

describe('SLO rule generator', () => {
  it('records the error ratio over every alert window and the SLO window', () => {
    const recorded = rulesOf('delivery-success')
      .filter((r) => r.record?.startsWith('slo:sli_error:'))
      .map((r) => r.record);
    expect(recorded).toEqual([...ALERT_WINDOWS, '30d'].map((w) => `slo:sli_error:ratio_rate${w}`));
  });

  it('guards every ratio against zero traffic, and turns good-event SLIs into bad ones', () => {
    for (const spec of specs) {
      for (const rule of rulesOf(spec.name).filter((r) => r.record?.startsWith('slo:sli_error:'))) {
        expect(rule.expr).toMatch(/clamp_min\(.*, 1e-12\)$/s);
        expect(parsePromql(rule.expr).errors).toEqual([]);
      }
    }
    const latency = rulesOf('processing-latency').find((r) => r.record === 'slo:sli_error:ratio_rate1h')!;
    expect(latency.expr).toContain(
      '(sum(rate(webhook_gateway_processing_duration_seconds_count{outcome=~"accepted|duplicate"}[1h]))) - (sum(rate(webhook_gateway_processing_duration_seconds_bucket{le="2"',
    );
  });

  it('generates page, ticket and exhausted alerts with the multiwindow burn rates', () => {
    const alerts = rulesOf('error-rate').filter((r) => r.alert);
    expect(alerts.map((a) => a.alert)).toEqual([
      'WebhookErrorRateBudgetBurnPage',
      'WebhookErrorRateBudgetBurnTicket',
      'WebhookErrorRateBudgetExhausted',
    ]);
    expect(alerts[0]!.expr).toContain(
      'slo:burn_rate:ratio_rate1h{slo="error-rate"} > 14.4 and slo:burn_rate:ratio_rate5m{slo="error-rate"} > 14.4',
    );
    expect(alerts[0]!.expr).toContain(
      'slo:burn_rate:ratio_rate6h{slo="error-rate"} > 6 and slo:burn_rate:ratio_rate30m{slo="error-rate"} > 6',
    );
    expect(alerts[1]!.expr).toContain(
      'slo:burn_rate:ratio_rate1d{slo="error-rate"} > 3 and slo:burn_rate:ratio_rate2h{slo="error-rate"} > 3',
    );
    expect(alerts[1]!.expr).toContain(
      'slo:burn_rate:ratio_rate3d{slo="error-rate"} > 1 and slo:burn_rate:ratio_rate6h{slo="error-rate"} > 1',
    );
    expect(rulesOf('error-rate').find((r) => r.record === 'slo:burn_rate:ratio_rate1h')!.expr).toBe(
      'slo:sli_error:ratio_rate1h{slo="error-rate"} / 0.001',
    );
  });

  it('honours per-SLO severity, description and runbook_url', () => {
    const custom = {
      ...specs[0]!,
      alerting: {
        ...specs[0]!.alerting,
        page: { severity: 'warning' as const },
        description: 'Call the Buddy team.',
        runbookUrl: 'https://runbooks.example/x.md',
      },
    };
    const [page] = sloRuleGroups([custom]).groups[0]!.rules.filter((r) => r.alert);
    expect(page!.labels).toMatchObject({ severity: 'warning', slo: 'delivery-success', service: 'publisher' });
    expect(page!.annotations!.description).toContain('Call the Buddy team.');
    expect(page!.annotations!.runbook_url).toBe('https://runbooks.example/x.md');
  });

  it('records the rolling 30 days for a calendar-month SLO', () => {
    const monthly = { ...specs[0]!, window: { duration: '1M', rolling: false } };
    const records = sloRuleGroups([monthly])
      .groups[0]!.rules.map((r) => r.record)
      .filter(Boolean);
    expect(records).toContain('slo:sli_error:ratio_rate30d');
  });
});
