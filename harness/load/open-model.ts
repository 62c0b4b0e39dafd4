// An open-model, constant-arrival-rate load generator, as k6's `constant-arrival-rate` executor:
// iteration i starts at t0 + i/rate whether or not earlier ones have returned. When `maxInFlight`
// iterations are already running, the scheduled one is dropped and counted, never queued (queueing
// would hide the very latency the test is meant to see).

export type IterationResult = { ok: boolean; errorKind?: string };

export type IterationRecord = {
  index: number;
  scheduledAt: number;
  startedAt: number;
  endedAt: number;
  latencyMs: number;
  ok: boolean;
  errorKind?: string;
};

export type ArrivalStage = { ratePerSecond: number; durationMs: number };

export type OpenModelRun = {
  records: IterationRecord[];
  dropped: number;
  startedAt: number;
  endedAt: number;
};

export async function runOpenModel(options: {
  stages: ArrivalStage[];
  maxInFlight: number;
  iteration: (index: number) => Promise<IterationResult>;
  signal?: AbortSignal;
  onRecord?: (record: IterationRecord) => void;
}): Promise<OpenModelRun> {
  const records: IterationRecord[] = [];
  const running = new Set<Promise<void>>();
  let dropped = 0;
  let index = 0;
  const startedAt = performance.now();
  let stageStart = startedAt;

  for (const stage of options.stages) {
    const interval = 1000 / stage.ratePerSecond;
    const count = Math.round((stage.durationMs / 1000) * stage.ratePerSecond);
    for (let k = 0; k < count; k++) {
      if (options.signal?.aborted) break;
      const scheduledAt = stageStart + k * interval;
      const wait = scheduledAt - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const i = index++;
      if (running.size >= options.maxInFlight) {
        dropped++;
        continue;
      }
      const start = performance.now();
      const work = options
        .iteration(i)
        .catch((err: unknown) => ({ ok: false, errorKind: (err as Error).name || 'exception' }))
        .then((result) => {
          const end = performance.now();
          const record: IterationRecord = {
            index: i,
            scheduledAt,
            startedAt: start,
            endedAt: end,
            latencyMs: end - start,
            ok: result.ok,
            errorKind: result.errorKind,
          };
          records.push(record);
          options.onRecord?.(record);
        })
        .finally(() => running.delete(work));
      running.add(work);
    }
    stageStart += stage.durationMs;
  }
  await Promise.all(running);
  return { records, dropped, startedAt, endedAt: performance.now() };
}
