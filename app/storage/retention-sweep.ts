// Runs a retention sweep at the edge: batch after batch, yielding between them.
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * One sweep deletes batch after batch until a batch comes back short (`deleteBatch` returns true
 * while rows may remain), yielding to the event loop between batches so the service keeps serving.
 * There is no batch cap: a cap of 50 fell behind at 50 events/s, where three consumers write
 * 540,000 inbox rows an hour and an hourly sweep deleted at most 100,000. A sweep still running
 * when the next is due is joined, not started twice.
 */
export function retentionSweeper(deleteBatch: () => boolean | Promise<boolean>): { sweep(): Promise<void>; stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = async () => {
    try {
      while (!stopped && (await deleteBatch())) await nextTurn();
    } finally {
      running = undefined;
    }
  };
  return {
    sweep() {
      if (stopped) return Promise.resolve();
      running ??= run();
      return running;
    },
    /** No batch starts after this; waits for the one in progress, so the store can be closed. */
    async stop() {
      stopped = true;
      await running?.catch(() => undefined);
    },
  };
}
