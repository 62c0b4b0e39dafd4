// The one percentile of the code base: the load generator, the bench, the chaos run, the demo's
// status line and the dual-path comparison all report latencies through it, so their p95s agree.

/**
 * Nearest-rank percentile (the smallest sample with at least p % of the samples at or below it),
 * always one of the samples; NaN for no samples, so an empty run cannot look fast.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  return percentileOfSorted(
    [...values].sort((a, b) => a - b),
    p,
  );
}

/** The same for samples already sorted in ascending order, to take several percentiles with one sort. */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}
