// The soak's checker: samples go in, a least-squares slope per series comes out, then the verdict.
// Pure. A series leaks when its growth over the judged window (slope × window, after warm-up)
// exceeds its allowance: a fraction of its level, or an absolute floor below which growth is noise.
import { MEASURED_STORED_EVENT_BYTES } from '../../app/bus/event-stream.ts';

/** One sample: seconds since the start, and a value per series (`<service>.<measure>`). */
export type SoakSample = { t: number; values: Record<string, number | null> };

export type Allowance = { fraction: number; floor: number; unit: string };

/** Series by their measure (the part after the dot), with why each allowance is what it is. */
export const ALLOWANCES: Record<string, Allowance> = {
  // GC and allocator noise moves RSS and heap by tens of MB in minutes; a leak keeps going.
  rss_bytes: { fraction: 0.25, floor: 48 * 2 ** 20, unit: 'bytes' },
  heap_used_bytes: { fraction: 0.25, floor: 24 * 2 ** 20, unit: 'bytes' },
  // Keep-alive pools open and close sockets; a leak of one per request passes 20 in seconds.
  open_fds: { fraction: 0.1, floor: 20, unit: 'fds' },
  // A shared 2-core machine swings p99 by tens of ms; a loop that slows by 200 ms is in trouble.
  event_loop_delay_p99_seconds: { fraction: 0.5, floor: 0.2, unit: 's' },
  outbox_depth: { fraction: 0, floor: 200, unit: 'rows' },
  dead_letter_rows: { fraction: 0, floor: 1, unit: 'rows' },
  // With retention the inbox is a rolling window: level steady, growth within noise.
  processed_rows: { fraction: 0.25, floor: 1000, unit: 'rows' },
  delivery_log_rows: { fraction: 0.25, floor: 1000, unit: 'rows' },
  dual_path_rows: { fraction: 0.25, floor: 1000, unit: 'rows' },
};

/** The stream keeps every event for max_age, so it grows by design: it leaks only when it stores
 *  more per event than measured (half again, as event-stream.ts sizes the cap). */
export function streamAllowance(ratePerSecond: number, windowSeconds: number): number {
  return ratePerSecond * windowSeconds * MEASURED_STORED_EVENT_BYTES * 1.5 + 2 ** 20;
}

/** Least-squares slope of y over x; NaN with fewer than two distinct x. */
export function leastSquaresSlope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

export type SeriesVerdict = {
  series: string;
  unit: string;
  samples: number;
  /** Median after warm-up. */
  level: number;
  slopePerHour: number;
  /** slope × judged window. */
  growth: number;
  allowance: number;
  leak: boolean;
};

export type SoakVerdict = { warmupSeconds: number; judgedSeconds: number; series: SeriesVerdict[]; leaks: string[]; ok: boolean };

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : Number.NaN;
};

export type JudgeOptions = {
  warmupSeconds: number;
  ratePerSecond: number;
  /**
   * Sockets a service may hold open at once, by service name: a keep-alive pool fills up to its
   * in-flight cap while the machine stalls and drains once it recovers, so its fds swing by up to
   * that many without leaking. Added to that service's open_fds allowance.
   */
  socketPools?: Record<string, number>;
};

export function judgeSoak(samples: readonly SoakSample[], options: JudgeOptions): SoakVerdict {
  const judged = samples.filter((s) => s.t >= options.warmupSeconds);
  const judgedSeconds = judged.length ? judged.at(-1)!.t - judged[0]!.t : 0;
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.values)))].sort();
  const series = names.map((name): SeriesVerdict => {
    const points = judged.flatMap((s) => {
      const v = s.values[name];
      return v === null || v === undefined || !Number.isFinite(v) ? [] : [[s.t, v] as [number, number]];
    });
    const service = name.slice(0, name.indexOf('.'));
    const measure = name.slice(name.indexOf('.') + 1);
    const slope = leastSquaresSlope(points);
    const level = median(points.map(([, v]) => v));
    const growth = Number.isFinite(slope) ? slope * judgedSeconds : 0;
    const rule = ALLOWANCES[measure];
    const allowance =
      measure === 'stream_bytes'
        ? streamAllowance(options.ratePerSecond, judgedSeconds)
        : rule
          ? Math.max(rule.floor, rule.fraction * Math.abs(level)) + (measure === 'open_fds' ? (options.socketPools?.[service] ?? 0) : 0)
          : Number.POSITIVE_INFINITY;
    return {
      series: name,
      unit: measure === 'stream_bytes' ? 'bytes' : (rule?.unit ?? ''),
      samples: points.length,
      level,
      slopePerHour: Number.isFinite(slope) ? slope * 3600 : Number.NaN,
      growth,
      allowance,
      leak: growth > allowance,
    };
  });
  const leaks = series.filter((s) => s.leak).map((s) => s.series);
  return { warmupSeconds: options.warmupSeconds, judgedSeconds, series, leaks, ok: leaks.length === 0 };
}
