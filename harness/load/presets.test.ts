import { describe, expect, it } from 'vitest';
import type { IterationRecord, OpenModelRun } from './open-model.ts';
import { PRESETS, summarizeLoad } from './presets.ts';

/** A synthetic run: stage i has the given latency and error count. */
function fakeRun(stages: { rate: number; ms: number; latency: number; errors?: number; dropped?: number }[]): OpenModelRun {
  const records: IterationRecord[] = [];
  let t = 0;
  let index = 0;
  let dropped = 0;
  for (const s of stages) {
    const n = (s.rate * s.ms) / 1000;
    for (let i = 0; i < n - (s.dropped ?? 0); i++) {
      const at = t + (i * 1000) / s.rate;
      records.push({
        index: index++,
        scheduledAt: at,
        startedAt: at,
        endedAt: at + s.latency,
        latencyMs: s.latency,
        ok: i >= (s.errors ?? 0),
        errorKind: i < (s.errors ?? 0) ? 'http_5xx' : undefined,
      });
    }
    dropped += s.dropped ?? 0;
    t += s.ms;
  }
  return { records, dropped, startedAt: 0, endedAt: t };
}

describe('load presets', () => {
  it('defines the seed scenarios', () => {
    expect(PRESETS.sustained({})).toEqual([{ ratePerSecond: 50, durationMs: 60_000 }]);
    const burst = PRESETS.burst();
    expect(burst[0]!.ratePerSecond * (burst[0]!.durationMs / 1000)).toBe(200);
    expect(PRESETS.ramp({ maxRate: 200 }).map((s) => s.ratePerSecond)).toEqual([25, 50, 100, 200]);
  });

  it('reports percentiles, errors by kind and dropped iterations', () => {
    const s = summarizeLoad(fakeRun([{ rate: 10, ms: 1000, latency: 20, errors: 2, dropped: 1 }]), [
      { ratePerSecond: 10, durationMs: 1000 },
    ]);
    expect(s).toMatchObject({ scheduled: 10, completed: 9, dropped: 1, errorsByKind: { http_5xx: 2 } });
    expect(s.latencyMs.p99).toBe(20);
  });

  it('finds the highest ramp rate held with p99 under the target', () => {
    const stages = [
      { rate: 25, ms: 1000, latency: 10 },
      { rate: 50, ms: 1000, latency: 40 },
      { rate: 100, ms: 1000, latency: 120 },
      { rate: 200, ms: 1000, latency: 60 }, // a later good stage does not count after a failed one
    ];
    const s = summarizeLoad(
      fakeRun(stages),
      stages.map((x) => ({ ratePerSecond: x.rate, durationMs: x.ms })),
      100,
    );
    expect(s.stages.map((x) => x.held)).toEqual([true, true, false, true]);
    expect(s.highestRateHeld).toBe(50);
  });

  it('does not count a stage with errors or drops as held', () => {
    const stages = [
      { rate: 25, ms: 1000, latency: 10 },
      { rate: 50, ms: 1000, latency: 10, errors: 1 },
    ];
    expect(
      summarizeLoad(
        fakeRun(stages),
        stages.map((x) => ({ ratePerSecond: x.rate, durationMs: x.ms })),
        100,
      ).highestRateHeld,
    ).toBe(25);
  });
});
