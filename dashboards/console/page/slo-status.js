// The console's SLO judgements, the same rules as the burn report (slo/coverage.ts, slo/report/assess.ts),
// as plain JavaScript for the browser. The server sends the numbers (/api/config sloRules). Pure.

/** Grafana's absolute thresholds: the colour of the last step whose value the number reaches. */
export function thresholdColor(value, steps) {
  if (!Number.isFinite(value) || !steps?.length) return undefined;
  let color;
  for (const step of steps) if (step.value === null || value >= step.value) color = step.color;
  return color;
}

/**
 * One SLO row: its status and which figures may be shown. Below the minimum coverage the status is
 * "insufficient data" and the budget is not shown (a short history projected onto the whole window);
 * the 1h burn is shown once the data spans most of the hour.
 */
export function sloRow({ coveredSeconds, budgetLeft }, rules) {
  const covered = Number.isFinite(coveredSeconds) ? coveredSeconds : 0;
  const showBurn1h = covered >= rules.burn1hMinSeconds;
  if (covered < rules.minCoverageSeconds) return { status: 'insufficient data', cls: 'thin', showBudget: false, showBurn1h };
  if (!Number.isFinite(budgetLeft)) return { status: 'no data', cls: '', showBudget: false, showBurn1h };
  if (budgetLeft <= 0) return { status: 'exhausted', cls: 'bad', showBudget: true, showBurn1h };
  if (budgetLeft < rules.atRiskBudget) return { status: 'at risk', cls: 'risk', showBudget: true, showBurn1h };
  return { status: 'healthy', cls: 'ok', showBudget: true, showBurn1h };
}

const SPANS = [
  [86_400, 'd'],
  [3600, 'h'],
  [60, 'min'],
  [1, 's'],
];

/** "4 min of 30 d" (slo/coverage.ts coverageLabel). */
export function coverageText(coveredSeconds, windowSeconds) {
  const span = (s) => {
    const [size, unit] = SPANS.find(([size]) => s >= size) ?? SPANS[SPANS.length - 1];
    return `${+(s / size).toFixed(1)} ${unit}`;
  };
  return `${span(Math.min(Math.max(coveredSeconds, 0), windowSeconds))} of ${span(windowSeconds)}`;
}
