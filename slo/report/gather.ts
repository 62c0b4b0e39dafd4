// Reads, for each SLO, the numbers the report needs from Prometheus, using the spec's own SLI
// queries over raw metrics (so it works on any Prometheus that has the metrics, rules or not), except
// one recording the rules make for vanished targets, read where it exists (asTheRulesRead).
import { parsePromql, selectors } from '../../observability/promql/analysis.ts';
import { coverageExpr } from '../coverage.ts';
import { durationSeconds, readingExpectedTargets, withWindow, type SloSpec } from '../spec.ts';
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

/**
 * Seconds of the window that the SLI's data covers: the age of the oldest sample, within the window,
 * of the series its `total` query reads (raw series, so it works without the recording rules).
 */
export async function coverageSeconds(baseUrl: string, spec: SloSpec, window: ReportWindow): Promise<number> {
  const ages = await Promise.all(
    selectors(parsePromql(withWindow(spec.total, '5m'))).map((s) =>
      instantValue(baseUrl, `max(${coverageExpr(s.text, `${window.seconds}s`, window.seconds)})`, window.end),
    ),
  );
  return Math.max(0, ...ages.filter((a): a is number => a !== undefined && Number.isFinite(a)));
}

/**
 * Chart steps fitted to the data: about 120 over the covered span, in whole hours once that is long
 * and in 5 minutes below (a rate needs two samples, and scrapes may be minutes apart), ending at the
 * window's end so the newest data is always drawn. Less than one step of data is one point.
 */
export function chartSteps(window: ReportWindow, covered: number): { first: number; stepSeconds: number } {
  const span = Math.max(0, Math.min(covered, window.seconds));
  const unit = span / 120 >= 3600 ? 3600 : 300;
  const stepSeconds = Math.max(unit, Math.ceil(span / 120 / unit) * unit);
  const steps = Math.max(1, Math.floor(span / stepSeconds));
  return { first: window.end - (steps - 1) * stepSeconds, stepSeconds };
}

/**
 * The SLI as the burn alerts read it, where Prometheus has it. With `expectedTargets`, the generated
 * rules record slo:expected_target:up, which reads 0 for a target that vanished, and read it instead of
 * `up{job=…}` (readingExpectedTargets in slo/spec.ts). Where the recording has data in the window,
 * the report reads it too; on a Prometheus without the rules it falls back to raw `up`, which does not
 * see a vanished target.
 */
export async function asTheRulesRead(baseUrl: string, spec: SloSpec, window: ReportWindow): Promise<SloSpec> {
  if (!spec.expectedTargets) return spec;
  const recorded = `slo:expected_target:up{slo="${spec.name}"}`;
  const recordedSeries = await instantValue(baseUrl, `count(present_over_time(${recorded}[${window.seconds}s]))`, window.end);
  return recordedSeries === undefined ? spec : readingExpectedTargets(spec);
}

export async function gatherSlo(baseUrl: string, declared: SloSpec, window: ReportWindow): Promise<SloData> {
  const spec = await asTheRulesRead(baseUrl, declared, window);
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
  const covered = await coverageSeconds(baseUrl, spec, window);
  const raw: SloRaw = {
    objective: spec.objective,
    window: await errorRatio(`${window.seconds}s`, window.end),
    previousWindow: await errorRatio(`${window.previousEnd - window.previousStart}s`, window.previousEnd),
    burnWindows,
    coverage: { seconds: covered, windowSeconds: window.seconds },
  };

  const { first, stepSeconds } = chartSteps(window, covered);
  const range = `${stepSeconds}s`;
  const totals = await rangeValues(baseUrl, withWindow(spec.total, range), first, window.end, stepSeconds);
  const other = await rangeValues(baseUrl, withWindow(spec.bad ?? spec.good!, range), first, window.end, stepSeconds);
  const otherAt = new Map(other);
  const steps = totals.map(([time, total]) => {
    const value = otherAt.get(time) ?? 0;
    return { time, total, bad: Math.max(0, spec.bad ? value : total - value) };
  });
  return { raw, steps, stepSeconds };
}
