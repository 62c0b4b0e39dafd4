import { describe, expect, it } from 'vitest';
import { percentile, percentileOfSorted } from './percentile.ts';

const ONE_TO_HUNDRED = Array.from({ length: 100 }, (_, i) => i + 1);

describe('percentile (nearest rank)', () => {
  it.each([
    { values: ONE_TO_HUNDRED, p: 50, expected: 50 },
    { values: ONE_TO_HUNDRED, p: 95, expected: 95 },
    { values: ONE_TO_HUNDRED, p: 99, expected: 99 },
    { values: ONE_TO_HUNDRED, p: 100, expected: 100 },
    { values: ONE_TO_HUNDRED, p: 0, expected: 1 },
    // Unsorted input, and a rank that falls between samples rounds up to a real sample.
    { values: [40, 10, 30, 20], p: 50, expected: 20 },
    { values: [40, 10, 30, 20], p: 51, expected: 30 },
    { values: [7], p: 99, expected: 7 },
    { values: [3, 1, 2], p: 95, expected: 3 },
  ])('p$p of $values.length samples is $expected', ({ values, p, expected }) => {
    expect(percentile(values, p)).toBe(expected);
    expect(
      percentileOfSorted(
        [...values].sort((a, b) => a - b),
        p,
      ),
    ).toBe(expected);
  });

  it('is NaN without samples, and leaves its input unsorted', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(percentileOfSorted([], 50)).toBeNaN();
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });
});
