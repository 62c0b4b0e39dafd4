// From raw SLI numbers to the figures leadership reads. Pure.
import { BURN_RATE_ALERTS } from '../generate-rules.ts';
import { coverageShare, coversBurnWindow, hasSufficientCoverage } from '../coverage.ts';
import { durationSeconds, errorBudgetOf } from '../spec.ts';

export type Status = 'Healthy' | 'At risk' | 'Exhausted' | 'Insufficient data' | 'No data';
export const BURN_WINDOWS = ['1h', '6h', '1d', '3d'] as const;
export type BurnWindow = (typeof BURN_WINDOWS)[number];

/** Error ratio over a window, or undefined when there was no traffic in it. */
export type Ratio = number | undefined;

export type SloRaw = {
  objective: number;
  window: Ratio;
  previousWindow: Ratio;
  burnWindows: Record<BurnWindow, Ratio>;
  /** How many seconds of the window the data covers (age of its oldest sample), and the window's length. */
  coverage: { seconds: number; windowSeconds: number };
};

export type SloAssessment = {
  objective: number;
  errorBudget: number;
  achieved: number | null;
  /** Null without traffic, and below MIN_COVERAGE: there it would project minutes onto the whole window. */
  budgetRemaining: number | null;
  /** Null without traffic in the window, and for windows the data does not cover. */
  burnRates: Record<BurnWindow, number | null>;
  status: Status;
  coverage: { seconds: number; windowSeconds: number; share: number; sufficient: boolean; burnWindows: Record<BurnWindow, boolean> };
  previous: { achieved: number | null; budgetRemaining: number | null };
  /** Current minus previous window: SLI in percentage points, budget remaining as a fraction. */
  delta: { achievedPoints: number | null; budgetRemaining: number | null };
};

/** Less than a quarter of the budget left is worth a leader's attention before it is gone. */
export const AT_RISK_BUDGET = 0.25;

/** Long-window burn thresholds of the alerts: burning above any of them means the budget will not last. */
const LONG_WINDOW_THRESHOLDS: Partial<Record<BurnWindow, number>> = Object.fromEntries(
  [...BURN_RATE_ALERTS.page, ...BURN_RATE_ALERTS.ticket].map((a) => [a.long, a.factor]),
);

export function assess(raw: SloRaw): SloAssessment {
  const errorBudget = errorBudgetOf(raw.objective);
  const remaining = (ratio: Ratio) => (ratio === undefined ? null : 1 - ratio / errorBudget);
  const achieved = (ratio: Ratio) => (ratio === undefined ? null : 1 - ratio);
  const { seconds, windowSeconds } = raw.coverage;
  const sufficient = hasSufficientCoverage(seconds, windowSeconds);
  const burnCovered = Object.fromEntries(BURN_WINDOWS.map((w) => [w, coversBurnWindow(seconds, durationSeconds(w))])) as Record<
    BurnWindow,
    boolean
  >;
  const burnRates = Object.fromEntries(
    BURN_WINDOWS.map((w) => [w, raw.burnWindows[w] === undefined || !burnCovered[w] ? null : raw.burnWindows[w]! / errorBudget]),
  ) as Record<BurnWindow, number | null>;
  const measuredBudget = remaining(raw.window);
  const budgetRemaining = sufficient ? measuredBudget : null;
  const previous = { achieved: achieved(raw.previousWindow), budgetRemaining: remaining(raw.previousWindow) };

  let status: Status;
  if (measuredBudget === null) status = 'No data';
  else if (!sufficient) status = 'Insufficient data';
  else if (measuredBudget <= 0) status = 'Exhausted';
  else if (measuredBudget < AT_RISK_BUDGET || BURN_WINDOWS.some((w) => (burnRates[w] ?? 0) > (LONG_WINDOW_THRESHOLDS[w] ?? Infinity)))
    status = 'At risk';
  else status = 'Healthy';

  const current = achieved(raw.window);
  return {
    objective: raw.objective,
    errorBudget,
    achieved: current,
    budgetRemaining,
    burnRates,
    status,
    coverage: { seconds, windowSeconds, share: coverageShare(seconds, windowSeconds), sufficient, burnWindows: burnCovered },
    previous,
    delta: {
      achievedPoints: current !== null && previous.achieved !== null ? (current - previous.achieved) * 100 : null,
      budgetRemaining: budgetRemaining !== null && previous.budgetRemaining !== null ? budgetRemaining - previous.budgetRemaining : null,
    },
  };
}

/** Budget burn-down over the window: after each step, the share of the whole window's budget left. */
export function burnDown(steps: { bad: number; total: number }[], objective: number): number[] {
  const allowed = errorBudgetOf(objective) * steps.reduce((sum, s) => sum + s.total, 0);
  let spent = 0;
  return steps.map((s) => {
    spent += s.bad;
    return allowed > 0 ? 1 - spent / allowed : 1;
  });
}

/** Burn rate per step (error ratio over the budget); null for a step without traffic. */
export function stepBurnRates(steps: { bad: number; total: number }[], objective: number): (number | null)[] {
  return steps.map((s) => (s.total > 0 ? s.bad / s.total / errorBudgetOf(objective) : null));
}

/**
 * The report's chart series, no bolder than its table: no budget left while the status would be
 * insufficient data (the burn-down of four minutes reads −11000 %), and a step's burn rate only where
 * the data before it covers the shortest burn window the table shows. On a young history a step burn
 * is a few minutes' burn, which the table's "–" under 1h exists to hide.
 */
export function chartSeries(
  steps: { time: number; bad: number; total: number }[],
  objective: number,
  coverage: { seconds: number; windowSeconds: number },
  end: number,
): { budgetRemaining: (number | null)[]; burnRate: (number | null)[] } {
  const { seconds, windowSeconds } = coverage;
  // Data as old as the window may be older still: then every step is covered.
  const dataStart = seconds >= windowSeconds ? -Infinity : end - seconds;
  const shortestBurn = durationSeconds(BURN_WINDOWS[0]);
  return {
    budgetRemaining: hasSufficientCoverage(seconds, windowSeconds) ? burnDown(steps, objective) : steps.map(() => null),
    burnRate: stepBurnRates(steps, objective).map((rate, i) => (coversBurnWindow(steps[i]!.time - dataStart, shortestBurn) ? rate : null)),
  };
}
