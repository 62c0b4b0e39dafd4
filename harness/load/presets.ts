// The seed's load scenarios as named presets, and what a run of one amounts to. Pure.
import { percentile } from '../../app/telemetry/percentile.ts';
import type { ArrivalStage, OpenModelRun } from './open-model.ts';

export const PRESETS = {
  /** The design's target: a steady 50 events/s. */
  sustained: (o: { rate?: number; durationMs?: number }) => [{ ratePerSecond: o.rate ?? 50, durationMs: o.durationMs ?? 60_000 }],
  /** 200 events in 10 s. */
  burst: () => [{ ratePerSecond: 20, durationMs: 10_000 }],
  /** Doubling rates, to find the highest held with p99 under the target. */
  ramp: (o: { stageMs?: number; maxRate?: number }) =>
    [25, 50, 100, 200, 400, 800, 1600]
      .filter((r) => r <= (o.maxRate ?? 800))
      .map((ratePerSecond) => ({ ratePerSecond, durationMs: o.stageMs ?? 15_000 })),
} satisfies Record<string, (o: { rate?: number; durationMs?: number; stageMs?: number; maxRate?: number }) => ArrivalStage[]>;

export type PresetName = keyof typeof PRESETS;

export type LatencySummary = { count: number; p50: number; p95: number; p99: number; max: number };
export type StageSummary = {
  ratePerSecond: number;
  scheduled: number;
  completed: number;
  errors: number;
  dropped: number;
  achievedPerSecond: number;
  latencyMs: LatencySummary;
  held: boolean;
};
export type LoadSummary = {
  scheduled: number;
  completed: number;
  dropped: number;
  achievedPerSecond: number;
  latencyMs: LatencySummary;
  errorsByKind: Record<string, number>;
  stages: StageSummary[];
  /** Ramp only: the highest stage rate held with p99 under the target, no errors and nothing dropped. */
  highestRateHeld?: number;
};

export function latencySummary(values: number[]): LatencySummary {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length ? Math.max(...values) : Number.NaN,
  };
}

/** Splits a run into its stages by scheduled time, and judges each against the p99 target. */
export function summarizeLoad(run: OpenModelRun, stages: ArrivalStage[], p99TargetMs?: number): LoadSummary {
  const errorsByKind: Record<string, number> = {};
  for (const r of run.records) if (!r.ok) errorsByKind[r.errorKind ?? 'unknown'] = (errorsByKind[r.errorKind ?? 'unknown'] ?? 0) + 1;
  let offset = run.startedAt;
  let scheduledSoFar = 0;
  const stageSummaries = stages.map((stage) => {
    const from = offset;
    const to = offset + stage.durationMs;
    offset = to;
    const records = run.records.filter((r) => r.scheduledAt >= from && r.scheduledAt < to);
    const scheduled = Math.round((stage.durationMs / 1000) * stage.ratePerSecond);
    scheduledSoFar += scheduled;
    const ok = records.filter((r) => r.ok);
    const errors = records.length - ok.length;
    const dropped = Math.max(0, scheduled - records.length);
    const latencyMs = latencySummary(ok.map((r) => r.latencyMs));
    return {
      ratePerSecond: stage.ratePerSecond,
      scheduled,
      completed: records.length,
      errors,
      dropped,
      achievedPerSecond: ok.length / (stage.durationMs / 1000),
      latencyMs,
      held: errors === 0 && dropped === 0 && (p99TargetMs === undefined || latencyMs.p99 < p99TargetMs),
    };
  });
  const ok = run.records.filter((r) => r.ok);
  const held = stageSummaries.filter((s, i) => s.held && stageSummaries.slice(0, i).every((p) => p.held));
  return {
    scheduled: scheduledSoFar,
    completed: run.records.length,
    dropped: run.dropped,
    achievedPerSecond: ok.length / ((run.endedAt - run.startedAt) / 1000),
    latencyMs: latencySummary(ok.map((r) => r.latencyMs)),
    errorsByKind,
    stages: stageSummaries,
    highestRateHeld: p99TargetMs === undefined ? undefined : (held.at(-1)?.ratePerSecond ?? 0),
  };
}
