// The console's SLO judgements as tables; console-layout.test.ts and dashboards-e2e.test.ts see them drawn.
import { describe, expect, it } from 'vitest';
import { coverageLabel } from '../../slo/coverage.ts';
import { AT_RISK_BUDGET } from '../../slo/report/assess.ts';
import { coverageText, sloRow, thresholdColor } from './page/slo-status.js';

const rules = { windowSeconds: 2_592_000, minCoverageSeconds: 259_200, burn1hMinSeconds: 3240, atRiskBudget: AT_RISK_BUDGET };

describe('console SLO status', () => {
  it.each([
    ['a 4-minute demo that burnt everything', { coveredSeconds: 240, budgetLeft: -59 }, 'insufficient data', false, false],
    ['an hour of data', { coveredSeconds: 3600, budgetLeft: -2 }, 'insufficient data', false, true],
    ['three days, overspent', { coveredSeconds: 259_200, budgetLeft: -0.1 }, 'exhausted', true, true],
    ['a month, a fifth left', { coveredSeconds: 2_592_000, budgetLeft: 0.2 }, 'at risk', true, true],
    ['a month, healthy', { coveredSeconds: 2_592_000, budgetLeft: 0.9 }, 'healthy', true, true],
    ['no coverage series', { coveredSeconds: undefined, budgetLeft: 0.9 }, 'insufficient data', false, false],
  ])('%s', (_case, figures, status, showBudget, showBurn1h) => {
    expect(sloRow(figures, rules)).toMatchObject({ status, showBudget, showBurn1h });
  });

  it.each([
    [-1, 'red'],
    [0, 'orange'],
    [0.5, 'green'],
    [Number.NaN, undefined],
  ])('threshold colour of %s', (value, color) => {
    const steps = [
      { value: null, color: 'red' },
      { value: 0, color: 'orange' },
      { value: 0.25, color: 'green' },
    ];
    expect(thresholdColor(value, steps)).toBe(color);
  });

  it.each([
    [240, '4 min of 30 d'],
    [5400, '1.5 h of 30 d'],
    [9e9, '30 d of 30 d'],
  ])('coverage %s s reads "%s", as the burn report writes it', (seconds, text) => {
    expect(coverageText(seconds, 2_592_000)).toBe(text);
    // The browser cannot import slo/coverage.ts: the two copies are held together here.
    expect(coverageLabel(seconds, 2_592_000)).toBe(text);
  });
});
