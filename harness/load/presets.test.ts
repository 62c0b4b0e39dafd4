import { describe, expect, it } from 'vitest';
import { burstScenarios } from '../k6/lib/burst-scenarios.ts';
import type { IterationRecord, OpenModelRun } from './open-model.ts';
import { BURST, burstOnSustained, lostAtConsumers, PRESETS, stageCount, summarizeLoad } from './presets.ts';

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
    expect(PRESETS.ramp({ maxRate: 200 }).map((s) => s.ratePerSecond)).toEqual([25, 50, 100, 200]);
  });

  it.each([
    // baseRate, leadInMs, spikeEvents, spikeMs, firstSecondEvents -> scheduled per stage
    [{ baseRate: 50, leadInMs: 2000, spikeEvents: 200, spikeMs: 10_000, firstSecondEvents: 180 }, [100, 230, 470]],
    [{ baseRate: 50, leadInMs: 0, spikeEvents: 200, spikeMs: 10_000, firstSecondEvents: 200 }, [250, 450]],
    [{ baseRate: 0, leadInMs: 0, spikeEvents: 90, spikeMs: 4000, firstSecondEvents: 60 }, [60, 30]],
  ])('a burst lands on the sustained rate: %o schedules %o', (burst, counts) => {
    expect(burstOnSustained(burst).map(stageCount)).toEqual(counts);
  });

  it('the burst preset is 200 extra events in 10 s over 50/s, most in the first second', () => {
    const stages = PRESETS.burst();
    const spike = BURST.leadInMs > 0 ? stages.slice(1) : stages;
    const spikeMs = spike.reduce((t, s) => t + s.durationMs, 0);
    expect(spikeMs).toBe(10_000);
    expect(spike.reduce((n, s) => n + stageCount(s), 0) - (BURST.baseRate * spikeMs) / 1000).toBe(200);
    expect(stageCount(spike[0]!) - BURST.baseRate).toBeGreaterThan(100);
    expect(stages.every((s) => s.ratePerSecond >= 50)).toBe(true);
  });

  it('the k6 burst (harness/k6/burst.ts) schedules what the preset does, at the same offsets', () => {
    const seconds = (d: string) => Number(d.replace(/s$/, ''));
    const k6 = Object.values(burstScenarios(BURST)).map((s) => ({
      from: seconds('startTime' in s ? s.startTime : '0s'),
      to: seconds('startTime' in s ? s.startTime : '0s') + seconds(s.duration),
      events: (s.rate * seconds(s.duration)) / seconds(s.timeUnit),
    }));
    const stages = PRESETS.burst();
    expect(k6.reduce((n, s) => n + s.events, 0)).toBe(stages.reduce((n, s) => n + stageCount(s), 0));
    // Within the spike's first second both send base + firstSecondEvents.
    const spikeStart = BURST.leadInMs / 1000;
    expect(k6.filter((s) => s.from <= spikeStart && s.to >= spikeStart + 1).length).toBe(2);
    expect(stageCount(stages[1]!)).toBe(BURST.baseRate + BURST.firstSecondEvents);
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

  it.each([
    [['a', 'b'], [], { q: 2, j: 2 }],
    [
      ['a', 'b'],
      [
        { consumer: 'q', event_id: 'a' },
        { consumer: 'q', event_id: 'b' },
        { consumer: 'j', event_id: 'b' },
      ],
      { q: 0, j: 1 },
    ],
    [
      ['a'],
      [
        { consumer: 'other', event_id: 'a' },
        { consumer: 'q', event_id: 'z' },
      ],
      { q: 1, j: 1 },
    ],
  ])('counts accepted events missing at each consumer: %o, %o', (accepted, handled, lost) => {
    expect(lostAtConsumers(accepted, handled, ['q', 'j'])).toEqual(lost);
  });
});
