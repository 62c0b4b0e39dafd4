import { describe, expect, it } from 'vitest';
import { chartSteps, resolveWindow } from './gather.ts';

const END = Date.parse('2026-10-31T00:00:00Z') / 1000;
const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

describe('chart steps fitted to the data', () => {
  it.each([
    // covered seconds, step, number of points
    [0, 5 * MINUTE, 1],
    [4 * MINUTE, 5 * MINUTE, 1], // the four-minute demo: one point, at the end
    [20 * MINUTE, 5 * MINUTE, 4],
    [2 * HOUR, 5 * MINUTE, 24],
    [5 * DAY, HOUR, 120],
    [30 * DAY, 6 * HOUR, 120], // the full window: as before the coverage, one point per 6 hours
    [40 * DAY, 6 * HOUR, 120],
  ])('%i s of data: a step of %i s, %i points ending at the window end', (covered, step, points) => {
    const window = resolveWindow('30d', END);
    const { first, stepSeconds } = chartSteps(window, covered);
    expect(stepSeconds).toBe(step);
    expect((END - first) / stepSeconds + 1).toBe(points);
    // No step reaches before the window.
    expect(first - stepSeconds).toBeGreaterThanOrEqual(window.start);
  });
});
