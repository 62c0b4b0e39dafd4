// How much of a window the data covers, and when that is too little to judge an SLO by. One rule
// for the burn report (slo/report) and the SLO dashboard (dashboards/src/event-bus-slo.ts). Pure.

/**
 * Below a tenth of its window an SLO is "insufficient data", not Healthy or Exhausted: budget left
 * projects the history onto the whole window, so four minutes with three failures out of five
 * events read as −5900 % of a 30-day budget. A tenth of 30 days is 3 days, the longest window the
 * burn-rate alerts judge by (the 1x ticket): with less, the report would claim more than the alerts.
 */
export const MIN_COVERAGE = 0.1;

/**
 * A burn rate averages over its window, so it is shown once the data spans 90 % of it. With less,
 * a "1d" burn on four minutes of data is the four-minute burn under a longer name.
 */
export const BURN_WINDOW_MIN_COVERAGE = 0.9;

/**
 * Step of the coverage subquery: fine enough to tell a four-minute demo from a ten-minute one,
 * coarse enough that 30 days is 43,200 steps (an instant query, not a rule). Steps fall on whole
 * minutes, so a history reads up to a minute short, and one younger than its first whole minute
 * reads as no data.
 */
export const COVERAGE_RESOLUTION = '1m';

/** Share of the window the data covers, 0 to 1. */
export function coverageShare(coveredSeconds: number, windowSeconds: number): number {
  return windowSeconds > 0 ? Math.min(1, Math.max(0, coveredSeconds / windowSeconds)) : 0;
}

/** Whether an SLO has enough history for a status (see MIN_COVERAGE). */
export function hasSufficientCoverage(coveredSeconds: number, windowSeconds: number): boolean {
  return coverageShare(coveredSeconds, windowSeconds) >= MIN_COVERAGE;
}

/** Whether a burn rate over `burnSeconds` may be shown (see BURN_WINDOW_MIN_COVERAGE). */
export function coversBurnWindow(coveredSeconds: number, burnSeconds: number): boolean {
  return coverageShare(coveredSeconds, burnSeconds) >= BURN_WINDOW_MIN_COVERAGE;
}

/**
 * PromQL: seconds between `at` (the query's time) and the oldest sample of `selector` within
 * `window`, one result per series. The age of the oldest sample, not a count of samples: it does not
 * depend on the scrape or evaluation interval, and a gap inside the window still counts as covered
 * (the SliAbsent alerts are about gaps). Subquery steps look back 5 minutes, so the oldest sample can
 * lie just before the window: clamp the result to the window.
 */
export function coverageExpr(selector: string, window: string, windowSeconds: number): string {
  return `clamp_max(time() - min_over_time(timestamp(${selector})[${window}:${COVERAGE_RESOLUTION}]), ${windowSeconds})`;
}

const SPAN_UNITS: [number, string][] = [
  [86_400, 'd'],
  [3600, 'h'],
  [60, 'min'],
  [1, 's'],
];

/** 240 → "4 min", 2_592_000 → "30 d", 5400 → "1.5 h". */
export function formatSpan(seconds: number): string {
  const [size, unit] = SPAN_UNITS.find(([size]) => seconds >= size) ?? SPAN_UNITS[SPAN_UNITS.length - 1]!;
  return `${+(seconds / size).toFixed(1)} ${unit}`;
}

/** "4 min of 30 d". */
export function coverageLabel(coveredSeconds: number, windowSeconds: number): string {
  return `${formatSpan(Math.min(coveredSeconds, windowSeconds))} of ${formatSpan(windowSeconds)}`;
}
