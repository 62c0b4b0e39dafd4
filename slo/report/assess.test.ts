import { describe, expect, it } from 'vitest';
import { coverageLabel, formatSpan, hasSufficientCoverage } from '../coverage.ts';
import { assess, burnDown, chartSeries, stepBurnRates, type SloRaw } from './assess.ts';

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;
const WINDOW = 30 * DAY;

const raw = (window: number | undefined, burn: Partial<SloRaw['burnWindows']> = {}, previous?: number, covered = WINDOW): SloRaw => ({
  objective: 0.99,
  window,
  previousWindow: previous,
  burnWindows: { '1h': 0, '6h': 0, '1d': 0, '3d': 0, ...burn },
  coverage: { seconds: covered, windowSeconds: WINDOW },
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

describe('coverage', () => {
  // The demo of issue 15: four minutes, three of five events dead-lettered, every window the same 60x burn.
  const sameBurn = { '1h': 0.6, '6h': 0.6, '1d': 0.6, '3d': 0.6 };

  it.each([
    // covered seconds, error ratio, status, burn windows shown
    [4 * MINUTE, 0.6, 'Insufficient data', []],
    [2 * HOUR, 0.6, 'Insufficient data', ['1h']],
    [2 * DAY, 0.6, 'Insufficient data', ['1h', '6h', '1d']],
    [3 * DAY - MINUTE, 0.6, 'Insufficient data', ['1h', '6h', '1d', '3d']],
    [3 * DAY, 0.6, 'Exhausted', ['1h', '6h', '1d', '3d']],
    [3 * DAY, 0.001, 'At risk', ['1h', '6h', '1d', '3d']], // healthy budget, but 60x over 1h
    [WINDOW, 0.6, 'Exhausted', ['1h', '6h', '1d', '3d']],
    [4 * MINUTE, undefined, 'No data', []],
    [0, undefined, 'No data', []],
  ] as const)('%i s of data, error ratio %s: %s, burn shown for %j', (covered, ratio, status, shown) => {
    const a = assess(raw(ratio, ratio === undefined ? {} : sameBurn, undefined, covered));
    expect(a.status).toBe(status);
    expect(Object.entries(a.burnRates).flatMap(([w, v]) => (v === null ? [] : [w]))).toEqual(ratio === undefined ? [] : shown);
    expect(Object.entries(a.coverage.burnWindows).flatMap(([w, ok]) => (ok ? [w] : []))).toEqual(shown);
  });

  it('shows no budget left below the coverage a status needs, but what was achieved', () => {
    const a = assess(raw(0.6, sameBurn, undefined, 4 * MINUTE));
    expect(a).toMatchObject({ budgetRemaining: null, coverage: { seconds: 240, windowSeconds: WINDOW, sufficient: false } });
    expect(a.achieved).toBeCloseTo(0.4, 12);
    expect(a.coverage.share).toBeCloseTo(240 / WINDOW, 12);
  });

  it.each([
    [0, false],
    [3 * DAY - 1, false],
    [3 * DAY, true],
    [40 * DAY, true],
  ])('%i s of 30 d is sufficient: %s', (covered, sufficient) => expect(hasSufficientCoverage(covered, WINDOW)).toBe(sufficient));

  it.each([
    [240, WINDOW, '4 min of 30 d'],
    [5400, WINDOW, '1.5 h of 30 d'],
    [3 * DAY, 7 * DAY, '3 d of 7 d'],
    [40 * DAY, WINDOW, '30 d of 30 d'],
    [0, WINDOW, '0 s of 30 d'],
  ])('%i s of %i s reads "%s"', (covered, window, label) => expect(coverageLabel(covered, window)).toBe(label));

  it('formats spans in the largest whole unit', () =>
    expect([45, 60, 7200, 129_600].map(formatSpan)).toEqual(['45 s', '1 min', '2 h', '1.5 d']));
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

describe('chart series (issue 15)', () => {
  const END = 1_000_000 * 300;
  // Every 5-minute step burns 60x: three of five events dead-lettered against a 1 % budget.
  const steps = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ time: END - (count - 1 - i) * 5 * MINUTE, bad: 3, total: 5 }));

  it('draws no budget and no burn on a four-minute history, though every step burns 60x', () => {
    const series = chartSeries(steps(1), 0.99, { seconds: 4 * MINUTE, windowSeconds: WINDOW }, END);
    expect(series).toEqual({ budgetRemaining: [null], burnRate: [null] });
  });

  it('draws a step burn once the data before it covers 90 % of 1h, and the budget once a status may be given', () => {
    const twoHours = chartSeries(steps(24), 0.99, { seconds: 2 * HOUR, windowSeconds: WINDOW }, END);
    expect(twoHours.budgetRemaining.every((v) => v === null)).toBe(true);
    // Data from END - 2h: steps at least 54 min after it, the last 14 of 24.
    expect(twoHours.burnRate.map((v) => (v === null ? null : +v.toFixed(6)))).toEqual([...Array(10).fill(null), ...Array(14).fill(60)]);
    const full = chartSeries(steps(4), 0.99, { seconds: WINDOW, windowSeconds: WINDOW }, END);
    expect(full.burnRate.map((v) => +v!.toFixed(6))).toEqual([60, 60, 60, 60]);
    expect(full.budgetRemaining.map((v) => +v!.toFixed(6))).toEqual([-14, -29, -44, -59]);
  });
});
