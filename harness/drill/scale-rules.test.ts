import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadRuleFile } from '../../observability/load-rule-files.ts';
import { tempDir } from '../integration/support.ts';
import { scaleDuration, scaleExpression, scaleRuleFile } from './scale-rules.ts';

describe('scaled rule set', () => {
  it('divides durations, never below one second', () => {
    expect(scaleDuration('10m', 10)).toBe('60s');
    expect(scaleDuration('1h30m', 10)).toBe('540s');
    expect(scaleDuration('30s', 100)).toBe('1s');
  });

  it('scales range windows and subqueries (range and step), and nothing else', () => {
    expect(scaleExpression('sum(rate(x_total[5m])) / sum(rate(y_total[5m] offset 1h)) > 0.01', 10)).toBe(
      'sum(rate(x_total[30s])) / sum(rate(y_total[30s] offset 1h)) > 0.01',
    );
    expect(scaleExpression('max_over_time(rate(x_total[1m])[10m:1m]) > 5', 10)).toBe('max_over_time(rate(x_total[6s])[60s:6s]) > 5');
    expect(scaleExpression('up{job="a"} == 0', 10)).toBe('up{job="a"} == 0');
  });

  it('scales the real alert rules into a rule set promtool accepts, thresholds unchanged', () => {
    const real = loadRuleFile('alerts/event-bus.rules.yml');
    const scaled = scaleRuleFile(real, 10);
    const dir = tempDir('scaled-rules');
    writeFileSync(path.join(dir, 'scaled.rules.yml'), stringify({ groups: scaled.groups }));
    expect(execFileSync('promtool', ['check', 'rules', path.join(dir, 'scaled.rules.yml')], { encoding: 'utf8' })).toContain(
      'SUCCESS: 16 rules found',
    );
    const byName = new Map(scaled.groups[0]!.rules.map((r) => [r.alert, r]));
    expect(byName.get('WebhookPublisherDeliveryErrors')!.for).toBe('60s');
    expect(byName.get('WebhookGatewayErrorRateHigh')!.expr).toContain('[30s]');
    expect(byName.get('WebhookGatewayErrorRateHigh')!.expr).toContain('> 0.01');
    expect(scaled.groups[0]!.interval).toBe('1s');
  });
});
