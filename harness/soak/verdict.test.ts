import { describe, expect, it } from 'vitest';
import { judgeSoak, leastSquaresSlope, type SoakSample, streamAllowance } from './verdict.ts';

const MB = 2 ** 20;
/** Samples every 10 s for `seconds`, of one series following `f`. */
const run = (series: string, seconds: number, f: (t: number) => number | null): SoakSample[] =>
  Array.from({ length: seconds / 10 + 1 }, (_, i) => ({ t: i * 10, values: { [series]: f(i * 10) } }));

describe('least-squares slope', () => {
  it.each([
    [
      [
        [0, 1],
        [1, 3],
        [2, 5],
      ] as [number, number][],
      2,
    ],
    [
      [
        [0, 5],
        [1, 5],
        [2, 5],
      ] as [number, number][],
      0,
    ],
    [
      [
        [0, 0],
        [1, 1],
        [2, 0],
        [3, 1],
      ] as [number, number][],
      0.2,
    ],
    [[[0, 1]] as [number, number][], Number.NaN],
    [
      [
        [1, 1],
        [1, 2],
      ] as [number, number][],
      Number.NaN,
    ],
  ])('of %j is %d', (points, slope) => {
    if (Number.isNaN(slope)) expect(leastSquaresSlope(points)).toBeNaN();
    else expect(leastSquaresSlope(points)).toBeCloseTo(slope, 9);
  });
});

describe('the soak verdict', () => {
  it.each([
    // series, samples over 300 s, warm-up 60 s, leak?
    ['gateway.rss_bytes', (t: number) => 200 * MB + (t % 20 ? 20 * MB : 0), false], // noisy but flat
    ['gateway.rss_bytes', (t: number) => 200 * MB + t * MB, true], // +240 MB over the judged window
    ['gateway.rss_bytes', (t: number) => (t < 60 ? t * 5 * MB : 300 * MB), false], // growth only in warm-up
    ['consumer.heap_used_bytes', (t: number) => 40 * MB + t * 0.05 * MB, false], // +12 MB, under the 24 MB floor
    ['publisher.open_fds', (t: number) => 30 + Math.floor(t / 5), true],
    ['publisher.open_fds', () => 30, false],
    ['gateway.event_loop_delay_p99_seconds', (t: number) => 0.02 + (t / 300) * 0.1, false], // +80 ms: contention, not a leak
    ['gateway.event_loop_delay_p99_seconds', (t: number) => 0.02 + (t / 300) * 0.5, true], // +400 ms
    ['publisher.outbox_depth', (t: number) => (t % 30 ? 10 : 150), false],
    ['publisher.outbox_depth', (t: number) => t * 2, true],
    ['publisher.dead_letter_rows', (t: number) => (t > 200 ? 3 : 0), true],
    ['consumer.processed_rows', (t: number) => Math.min(t, 30) * 600, false], // retention holds it at 18 000
    ['consumer.processed_rows', (t: number) => t * 600, true], // no retention: grows with every event
    ['consumer.delivery_log_rows', () => null, false], // never sampled: nothing to judge
    ['nats.stream_bytes', (t: number) => t * 300 * 760, false], // 300 events/s at the measured size
    ['nats.stream_bytes', (t: number) => t * 300 * 4000, true], // five times the measured size per event
    ['gateway.unknown_measure', (t: number) => t * 1e9, false], // no rule: reported, never judged
  ])('%s judged over 240 s: leak %s', (series, f, leak) => {
    const verdict = judgeSoak(run(series, 300, f as (t: number) => number | null), { warmupSeconds: 60, ratePerSecond: 300 });
    expect(verdict.judgedSeconds).toBe(240);
    expect(verdict.series[0]).toMatchObject({ series, leak });
    expect(verdict.ok).toBe(!leak);
    expect(verdict.leaks).toEqual(leak ? [series] : []);
  });

  it('allows a service its socket pool on open_fds: a stall near the end is not a leak, a leak per request still is', () => {
    // 40 fds, then a stall fills the pool to 300 over the last 40 s.
    const stall = (t: number) => (t > 260 ? 300 : 40);
    const judge = (f: (t: number) => number, socketPools?: Record<string, number>) =>
      judgeSoak(run('publisher.open_fds', 300, f), { warmupSeconds: 60, ratePerSecond: 250, socketPools }).ok;
    expect(judge(stall)).toBe(false);
    expect(judge(stall, { publisher: 756 })).toBe(true);
    expect(judge(stall, { gateway: 756 })).toBe(false); // another service's pool
    expect(judge((t) => 40 + t * 250, { publisher: 756 })).toBe(false); // one fd per request at 250/s
  });

  it('reports the slope per hour of every series', () => {
    const verdict = judgeSoak(
      run('gateway.open_fds', 100, (t) => 10 + t / 10),
      { warmupSeconds: 0, ratePerSecond: 50 },
    );
    expect(verdict.series[0]!.slopePerHour).toBeCloseTo(360, 6);
    expect(verdict.series[0]!.growth).toBeCloseTo(10, 6);
  });

  it('allows the stream its measured bytes per event', () => {
    expect(streamAllowance(50, 3600)).toBeGreaterThan(50 * 3600 * 760);
  });
});
