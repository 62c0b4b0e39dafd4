import { describe, expect, it } from 'vitest';
import { parsePromql } from '../observability/promql/analysis.ts';
import { ALERT_WINDOWS, RAW_WINDOWS, sloRuleGroups } from './generate-rules.ts';
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
      '(sum(rate(webhook_gateway_processing_duration_seconds_count{outcome=~"accepted|duplicate"}[1h]))) - (sum(rate(webhook_gateway_processing_duration_seconds_bucket{le=~"2(\\\\.0)?"',
    );
  });

  it('matches histogram buckets as Prometheus 2 ("2") and 3 ("2.0") write them', () => {
    for (const spec of specs) {
      for (const q of [spec.good, spec.bad, spec.total].filter(Boolean)) expect(q).not.toMatch(/le="/);
    }
  });

  it('computes windows up to 6h from raw series and longer ones from the 5-minute recordings', () => {
    for (const spec of specs) {
      const rules = rulesOf(spec.name);
      const sel = `{slo="${spec.name}"}`;
      expect(rules.map((r) => r.record)).toEqual(expect.arrayContaining(['slo:sli_bad:rate5m', 'slo:sli_total:rate5m']));
      for (const w of [...ALERT_WINDOWS, '30d']) {
        const expr = rules.find((r) => r.record === `slo:sli_error:ratio_rate${w}`)!.expr;
        if (RAW_WINDOWS.includes(w)) expect(expr).toContain(`[${w}]`);
        else
          expect(expr).toBe(
            `sum_over_time(slo:sli_bad:rate5m${sel}[${w}])\n/\nclamp_min(sum_over_time(slo:sli_total:rate5m${sel}[${w}]), 1e-12)`,
          );
      }
    }
  });

  it('alerts on each SLI that has no data, as a warning', () => {
    for (const spec of specs) {
      const absent = rulesOf(spec.name).find((r) => r.alert === `${spec.alerting.name}SliAbsent`)!;
      expect(absent.expr).toBe(`absent(slo:sli_error:ratio_rate5m{slo="${spec.name}"})`);
      expect(absent.labels).toEqual({ severity: 'warning', slo: spec.name, service: spec.service });
    }
  });

  it('records one series per expected gateway target, 0 while it is missing', () => {
    const [expected] = rulesOf('webhook-uptime');
    expect(expected).toMatchObject({
      record: 'slo:expected_target:up',
      expr: 'up{job="webhook-gateway"}\nor\nlast_over_time(up{job="webhook-gateway"}[1d]) * 0',
    });
    expect(rulesOf('error-rate').some((r) => r.record === 'slo:expected_target:up')).toBe(false);
  });

  it('generates page, ticket and exhausted alerts with the multiwindow burn rates', () => {
    const alerts = rulesOf('error-rate').filter((r) => r.alert);
    expect(alerts.map((a) => a.alert)).toEqual([
      'WebhookErrorRateBudgetBurnPage',
      'WebhookErrorRateBudgetBurnTicket',
      'WebhookErrorRateBudgetExhausted',
      'WebhookErrorRateSliAbsent',
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
