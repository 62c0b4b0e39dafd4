// Reads, for each SLO, the numbers the report needs from Prometheus, using the spec's own SLI
// queries over raw metrics (so it works on any Prometheus that has the metrics, rules or not).
import { withWindow, type SloSpec } from '../spec.ts';
import type { BurnWindow, Ratio, SloRaw } from './assess.ts';
import { BURN_WINDOWS } from './assess.ts';
import { instantValue, rangeValues } from './prometheus-api.ts';

export type ReportWindow = {
  label: string;
  start: number;
  end: number;
  seconds: number;
  previousStart: number;
  previousEnd: number;
  rolling: boolean;
};

const UNIT_SECONDS: Record<string, number> = { m: 60, h: 3600, d: 86_400, w: 604_800 };

export function durationSeconds(duration: string): number {
  const match = /^(\d+)([mhdw])$/.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration} (use e.g. 30d, 4w, 12h)`);
  return Number(match[1]) * UNIT_SECONDS[match[2]!]!;
}

/** `30d` (rolling, ending at `at`) or `month` (the calendar month, UTC, up to `at`). */
export function resolveWindow(option: string, at: number): ReportWindow {
  if (option === 'month' || option === '1M') {
    const d = new Date(at * 1000);
    const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 1000;
    const previousStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1) / 1000;
    return {
      label: `calendar month ${d.toISOString().slice(0, 7)} to date`,
      start,
      end: at,
      seconds: at - start,
      previousStart,
      previousEnd: start,
      rolling: false,
    };
  }
  const seconds = durationSeconds(option);
  return {
    label: `rolling ${option}`,
    start: at - seconds,
    end: at,
    seconds,
    previousStart: at - 2 * seconds,
    previousEnd: at - seconds,
    rolling: true,
  };
}

export type SloData = { raw: SloRaw; steps: { time: number; bad: number; total: number }[]; stepSeconds: number };

export async function gatherSlo(baseUrl: string, spec: SloSpec, window: ReportWindow): Promise<SloData> {
  const errorRatio = async (range: string, time: number): Promise<Ratio> => {
    const total = await instantValue(baseUrl, withWindow(spec.total, range), time);
    if (total === undefined || !(total > 0)) return undefined;
    const bad = spec.bad
      ? ((await instantValue(baseUrl, withWindow(spec.bad, range), time)) ?? 0)
      : total - ((await instantValue(baseUrl, withWindow(spec.good!, range), time)) ?? 0);
    return Math.min(1, Math.max(0, bad / total));
  };

  const burnWindows = {} as Record<BurnWindow, Ratio>;
  for (const w of BURN_WINDOWS) burnWindows[w] = await errorRatio(w, window.end);
  const raw: SloRaw = {
    objective: spec.objective,
    window: await errorRatio(`${window.seconds}s`, window.end),
    previousWindow: await errorRatio(`${window.previousEnd - window.previousStart}s`, window.previousEnd),
    burnWindows,
  };

  // About 120 points per chart, in whole hours.
  const stepSeconds = Math.max(3600, Math.ceil(window.seconds / 120 / 3600) * 3600);
  const range = `${stepSeconds}s`;
  const first = window.start + stepSeconds;
  const totals = await rangeValues(baseUrl, withWindow(spec.total, range), first, window.end, stepSeconds);
  const other = await rangeValues(baseUrl, withWindow(spec.bad ?? spec.good!, range), first, window.end, stepSeconds);
  const otherAt = new Map(other);
  const steps = totals.map(([time, total]) => {
    const value = otherAt.get(time) ?? 0;
    return { time, total, bad: Math.max(0, spec.bad ? value : total - value) };
  });
  return { raw, steps, stepSeconds };
}
