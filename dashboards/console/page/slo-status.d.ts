// Types for slo-status.js, which the browser loads as is (so it stays plain JavaScript).
export type ThresholdStep = { value: number | null; color: string };
export declare function thresholdColor(value: number, steps: readonly ThresholdStep[] | undefined): string | undefined;
export type SloRules = { windowSeconds: number; minCoverageSeconds: number; burn1hMinSeconds: number; atRiskBudget: number };
export declare function sloRow(
  figures: { coveredSeconds: number | undefined; budgetLeft: number | undefined },
  rules: SloRules,
): { status: string; cls: string; showBudget: boolean; showBurn1h: boolean };
export declare function coverageText(coveredSeconds: number, windowSeconds: number): string;
