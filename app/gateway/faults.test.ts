import { describe, expect, it } from 'vitest';
import { decideFault, faultGaugeValues, NO_FAULTS } from './faults.ts';

describe('fault gauge', () => {
  it('shows every fault, at its setting, 0 when off', () => {
    expect(faultGaugeValues(NO_FAULTS)).toEqual([
      [{ fault: 'errorRate' }, 0],
      [{ fault: 'rejectRate' }, 0],
      [{ fault: 'delayMs' }, 0],
    ]);
    expect(faultGaugeValues({ errorRate: 0, rejectRate: 0.25, delayMs: 300 })).toEqual([
      [{ fault: 'errorRate' }, 0],
      [{ fault: 'rejectRate' }, 0.25],
      [{ fault: 'delayMs' }, 300],
    ]);
  });
});

describe('fault decision', () => {
  const table: [string, number, object][] = [
    ['below errorRate: error', 0.05, { kind: 'error' }],
    ['between: reject', 0.15, { kind: 'reject' }],
    ['above both: none', 0.5, { kind: 'none' }],
  ];
  it.each(table)('%s', (_case, roll, expected) => {
    expect(decideFault({ errorRate: 0.1, rejectRate: 0.1, delayMs: 0 }, () => roll)).toEqual(expected);
  });
});
