import { describe, expect, it } from 'vitest';
import { DEFAULT_STREAM_LIMITS } from '../bus/event-stream.ts';
import { DEFAULT_RETENTION_MS, retentionFloorMs, retentionProblem, sweepIntervalMs } from './retention.ts';

const DAY = 24 * 3600 * 1000;
const stream = { maxAgeDays: 7, duplicateWindowSeconds: 600 };

describe('retention', () => {
  it.each([
    [{ maxAgeDays: 7, duplicateWindowSeconds: 600 }, 7 * DAY],
    [{ maxAgeDays: 0, duplicateWindowSeconds: 600 }, 600_000],
    [{ maxAgeDays: 1, duplicateWindowSeconds: 2 * 86_400 }, 2 * DAY],
  ])('the floor for %o is %d ms', (s, floor) => {
    expect(retentionFloorMs(s)).toBe(floor);
  });

  it.each([
    [14 * DAY, undefined],
    [7 * DAY + 1, undefined],
    [7 * DAY, /not above the stream's max_age/],
    [60_000, /handled twice/],
  ])('a retention of %d ms against a 7-day stream: %s', (ms, problem) => {
    const found = retentionProblem(ms, stream);
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });

  it('the default is safe against the default stream limits', () => {
    expect(retentionProblem(DEFAULT_RETENTION_MS, { ...DEFAULT_STREAM_LIMITS, duplicateWindowSeconds: 600 })).toBeUndefined();
  });

  it.each([
    [14 * DAY, 3600_000],
    [60_000, 15_000],
    [2000, 1000],
  ])('sweeps a %d ms retention every %d ms', (ms, every) => {
    expect(sweepIntervalMs(ms)).toBe(every);
  });
});
