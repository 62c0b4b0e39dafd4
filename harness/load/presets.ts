// The seed's load scenarios as named presets, and what a run of one amounts to. Pure.
import { percentile } from '../../app/telemetry/percentile.ts';
import type { ArrivalStage, OpenModelRun } from './open-model.ts';

export const PRESETS = {
  /** The design's target: a steady 50 events/s. */
  sustained: (o: { rate?: number; durationMs?: number }) => [{ ratePerSecond: o.rate ?? 50, durationMs: o.durationMs ?? 60_000 }],
  /** 200 events in 10 s on top of the sustained 50/s, 180 of them in the first second. */
  burst: () => burstOnSustained(BURST),
  /** Doubling rates, to find the highest held with p99 under the target. */
  ramp: (o: { stageMs?: number; maxRate?: number }) =>
    [25, 50, 100, 200, 400, 800, 1600]
      .filter((r) => r <= (o.maxRate ?? 800))
      .map((ratePerSecond) => ({ ratePerSecond, durationMs: o.stageMs ?? 15_000 })),
} satisfies Record<string, (o: { rate?: number; durationMs?: number; stageMs?: number; maxRate?: number }) => ArrivalStage[]>;

export type PresetName = keyof typeof PRESETS;

/** The design's spike: 200 extra events in 10 s, most in the first second, landing on a steady 50/s
 *  that ran long enough (2 s) for pools and batches to be warm. harness/k6/burst.ts mirrors it. */
export const BURST = { baseRate: 50, leadInMs: 2000, spikeEvents: 200, spikeMs: 10_000, firstSecondEvents: 180 } as const;

/** The base rate throughout, plus the spike's events: firstSecondEvents in its first second, the rest
 *  spread over the remaining spikeMs. Stages, because the open model runs one rate at a time. */
export function burstOnSustained(b: {
  baseRate: number;
  leadInMs: number;
  spikeEvents: number;
  spikeMs: number;
  firstSecondEvents: number;
}): ArrivalStage[] {
  const tailMs = b.spikeMs - 1000;
  return [
    ...(b.leadInMs > 0 ? [{ ratePerSecond: b.baseRate, durationMs: b.leadInMs }] : []),
    { ratePerSecond: b.baseRate + b.firstSecondEvents, durationMs: 1000 },
    { ratePerSecond: b.baseRate + ((b.spikeEvents - b.firstSecondEvents) * 1000) / tailMs, durationMs: tailMs },
  ];
}

/** How many iterations a stage schedules (as runOpenModel does). */
export const stageCount = (s: ArrivalStage) => Math.round((s.durationMs / 1000) * s.ratePerSecond);

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
  /** With a stack of its own: per consumer, accepted events it never handled. */
  lostByConsumer?: Record<string, number>;
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
    const scheduled = stageCount(stage);
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

/** Per consumer, how many accepted event ids it never handled: 0 everywhere is "nothing lost". */
export function lostAtConsumers(
  accepted: readonly string[],
  handled: readonly { consumer: string; event_id: string }[],
  consumers: readonly string[],
): Record<string, number> {
  const seen = new Map(consumers.map((c) => [c, new Set<string>()]));
  for (const row of handled) seen.get(row.consumer)?.add(row.event_id);
  return Object.fromEntries(consumers.map((c) => [c, accepted.filter((id) => !seen.get(c)!.has(id)).length]));
}
