import { describe, expect, it } from 'vitest';
import { ANY_LABELS, labelSet, outputLabels, parsePromql, selectors, type LabelSet } from './analysis.ts';

const catalog: Record<string, string[]> = {
  requests_total: ['job', 'instance', 'event_type', 'outcome'],
  latency_seconds_bucket: ['job', 'instance', 'event_type', 'le'],
  up: ['job', 'instance'],
};
const labelsOf = (m: string): LabelSet => (catalog[m] ? labelSet(catalog[m]!) : ANY_LABELS);
const labels = (expr: string) => {
  const out = outputLabels(parsePromql(expr), labelsOf);
  return out.any ? 'any' : [...out.names].sort();
};

describe('parsePromql', () => {
  it('accepts valid PromQL and reports syntax errors', () => {
    expect(parsePromql('sum by (job) (rate(requests_total[5m])) > 0.1').errors).toEqual([]);
    expect(parsePromql('sum by (job (rate(requests_total[5m]))').errors.length).toBeGreaterThan(0);
    expect(parsePromql('rate(requests_total[5m]').errors.length).toBeGreaterThan(0);
  });
});

describe('selectors', () => {
  it('finds every metric and the range function that reads it', () => {
    const found = selectors(
      parsePromql('sum(rate(requests_total{outcome="accepted"}[5m])) / sum(increase(requests_total[1h] offset 1d)) + up'),
    );
    expect(found.map((s) => [s.metric, s.rangeFunction])).toEqual([
      ['requests_total', 'rate'],
      ['requests_total', 'increase'],
      ['up', undefined],
    ]);
    expect(found[0]!.matchers).toEqual([{ label: 'outcome', op: '=', value: 'accepted' }]);
  });

  it('does not count delta() or a bare selector as a counter-safe read', () => {
    const found = selectors(parsePromql('delta(requests_total[5m]) + requests_total'));
    expect(found.map((s) => s.rangeFunction)).toEqual(['delta', undefined]);
  });

  it('reads {__name__="x"} as metric x', () => {
    expect(selectors(parsePromql('{__name__="up", job="a"}'))[0]!.metric).toBe('up');
  });
});

describe('outputLabels', () => {
  it('follows aggregation', () => {
    expect(labels('sum(rate(requests_total[5m]))')).toEqual([]);
    expect(labels('sum by (outcome) (rate(requests_total[5m]))')).toEqual(['outcome']);
    expect(labels('sum without (instance) (rate(requests_total[5m]))')).toEqual(['event_type', 'job', 'outcome']);
    expect(labels('topk(3, requests_total)')).toEqual(['event_type', 'instance', 'job', 'outcome']);
  });

  it('drops le in histogram_quantile and adds the label_replace target', () => {
    expect(labels('histogram_quantile(0.95, sum by (le, event_type) (rate(latency_seconds_bucket[5m])))')).toEqual(['event_type']);
    expect(labels('label_replace(up, "service", "gw", "", "")')).toEqual(['instance', 'job', 'service']);
  });

  it('follows binary operators and vector matching', () => {
    expect(labels('sum by (outcome) (rate(requests_total[5m])) / ignoring(outcome) group_left sum(rate(requests_total[5m]))')).toEqual([
      'outcome',
    ]);
    expect(labels('sum by (job, outcome) (rate(requests_total[5m])) / on(job) group_left sum by (job) (rate(requests_total[5m]))')).toEqual(
      ['job', 'outcome'],
    );
    expect(labels('sum by (job, outcome) (requests_total) / on(job) sum by (job) (requests_total)')).toEqual(['job']);
    expect(labels('sum by (outcome) (rate(requests_total[5m])) > 0.1')).toEqual(['outcome']);
    expect(labels('up == 0 or absent(up{job="gw"})')).toEqual(['instance', 'job']);
    expect(labels('absent(up{job="gw"})')).toEqual(['job']);
    expect(labels('vector(1)')).toEqual([]);
  });

  it('gives up (any) on metrics it does not know', () => {
    expect(labels('sum by (x) (mystery) or mystery')).toBe('any');
  });
});
