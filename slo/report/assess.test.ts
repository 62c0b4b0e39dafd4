import { describe, expect, it } from 'vitest';
import { assess, burnDown, stepBurnRates, type SloRaw } from './assess.ts';

const raw = (window: number | undefined, burn: Partial<SloRaw['burnWindows']> = {}, previous?: number): SloRaw => ({
  objective: 0.99,
  window,
  previousWindow: previous,
  burnWindows: { '1h': 0, '6h': 0, '1d': 0, '3d': 0, ...burn },
});

describe('assess', () => {
  it('computes achieved, budget left and burn rates', () => {
    const a = assess(raw(0.002, { '1h': 0.05 }, 0.001));
    expect(a.achieved).toBeCloseTo(0.998, 12);
    expect(a.budgetRemaining).toBeCloseTo(0.8, 12);
    expect(a.burnRates['1h']).toBeCloseTo(5, 12);
    expect(a.delta.achievedPoints).toBeCloseTo(-0.1, 12);
    expect(a.status).toBe('Healthy');
  });

  it('is At risk below a quarter of the budget, or burning above a long-window threshold', () => {
    expect(assess(raw(0.008)).status).toBe('At risk');
    expect(assess(raw(0.001, { '1h': 0.15 })).status).toBe('At risk'); // 15x > 14.4x
    expect(assess(raw(0.001, { '3d': 0.011 })).status).toBe('At risk'); // 1.1x > 1x
    expect(assess(raw(0.001, { '1d': 0.029 })).status).toBe('Healthy'); // 2.9x < 3x
  });

  it('is Exhausted at or below zero, and No data without traffic', () => {
    expect(assess(raw(0.01)).status).toBe('Exhausted');
    expect(assess(raw(0.02)).budgetRemaining).toBeCloseTo(-1, 12);
    const none = assess(raw(undefined, { '1h': undefined }));
    expect(none).toMatchObject({ status: 'No data', achieved: null, budgetRemaining: null });
    expect(none.burnRates['1h']).toBeNull();
  });
});

describe('burn-down', () => {
  it('spends the window budget step by step and ends at the window figure', () => {
    const steps = [
      { bad: 0, total: 100 },
      { bad: 1, total: 100 },
      { bad: 3, total: 100 },
      { bad: 0, total: 100 },
    ];
    // 4 % budget of 400 events = 4 allowed; 1 then 4 spent.
    for (const [i, v] of burnDown(steps, 0.99).entries()) expect(v).toBeCloseTo([1, 0.75, 0, 0][i]!, 12);
    expect(stepBurnRates([...steps, { bad: 0, total: 0 }], 0.99).map((v) => (v === null ? null : +v.toFixed(6)))).toEqual([
      0,
      1,
      3,
      0,
      null,
    ]);
  });
});
