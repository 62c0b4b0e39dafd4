// Runs retention sweeps at the edge: on a timer, batch after batch, yielding between them.
import { setImmediate as nextTurn } from 'node:timers/promises';

export type RetentionSweeper = {
  /** One sweep now; joins the one in progress, if any. */
  sweep(): Promise<void>;
  /** No batch starts after this; waits for the one in progress, so the store can be closed. */
  stop(): Promise<void>;
};

/**
 * Sweeps every `everyMs` (an unref'd timer). One sweep deletes batch after batch until a batch comes
 * back short (`deleteBatch` returns true while rows may remain), yielding to the event loop between
 * batches so the service keeps serving. There is no batch cap: a cap of 50 fell behind at 50
 * events/s, where three consumers write 540,000 inbox rows an hour and an hourly sweep deleted at
 * most 100,000. A sweep still running when the next is due is joined, not started twice. A failed
 * sweep goes to `onError`; the next one retries.
 */
export function retentionSweeper(
  deleteBatch: () => boolean | Promise<boolean>,
  schedule: { everyMs: number; onError: (err: Error) => void },
): RetentionSweeper {
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = async () => {
    while (!stopped && (await deleteBatch())) await nextTurn();
  };
  const sweep = () => {
    if (stopped) return Promise.resolve();
    // Cleared in a callback, never synchronously: a first batch that throws at once must not leave
    // its rejected promise in place of the next sweep.
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => sweep().catch(schedule.onError), schedule.everyMs);
  timer.unref();
  return {
    sweep,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
