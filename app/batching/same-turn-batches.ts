// Same-turn batching: whatever is added during one turn of the event loop is processed as one batch
// at the end of that turn (setImmediate runs right after the poll phase, so every I/O callback of
// the iteration is in). The publisher's group commit, the gateway's bus writer, the consumer's
// batches and their shared inbox commit are all this one mechanism.

/** One result per item, in the order of the items; a rejected promise fails only its own caller. */
export type BatchResults<R> = readonly (R | PromiseLike<R>)[];

export type SameTurnBatchOptions = {
  /**
   * 'overlapping' (the default): each turn's batch starts at the end of its turn, even while earlier
   * batches still run. 'one-at-a-time': a batch starts only once the previous one has settled, and
   * everything that arrived meanwhile forms the next, so batches grow with load.
   */
  order?: 'overlapping' | 'one-at-a-time';
  /**
   * With 'one-at-a-time': when the previous batch ended less than this long ago (the caller is busy),
   * wait this long before starting, to gather more; an idle caller still starts at the end of the turn.
   */
  windowMs?: number;
};

export type SameTurnBatches<T, R> = {
  /** Resolves with this item's result, or rejects with its batch's failure. */
  add(item: T): Promise<R>;
  /** Starts what waits without waiting for the end of the turn; resolves once no batch waits or runs. */
  drain(): Promise<void>;
};

type Entry<T, R> = { item: T; resolve: (result: R | PromiseLike<R>) => void; reject: (err: unknown) => void };

export function sameTurnBatches<T, R>(
  processBatch: (items: T[]) => BatchResults<R> | Promise<BatchResults<R>>,
  options: SameTurnBatchOptions = {},
): SameTurnBatches<T, R> {
  const oneAtATime = options.order === 'one-at-a-time';
  const windowMs = oneAtATime ? (options.windowMs ?? 0) : 0;
  let waiting: Entry<T, R>[] = [];
  let cancelScheduled: (() => void) | undefined;
  let running = 0;
  let lastEndedAt = -Infinity;
  let idleWaiters: (() => void)[] = [];

  const schedule = () => {
    if (cancelScheduled || waiting.length === 0 || (oneAtATime && running > 0)) return;
    if (windowMs > 0 && performance.now() - lastEndedAt < windowMs) {
      const timer = setTimeout(start, windowMs);
      cancelScheduled = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(start);
      cancelScheduled = () => clearImmediate(immediate);
    }
  };

  const wakeIdleWaiters = () => {
    if (running > 0 || waiting.length > 0 || cancelScheduled) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  };

  function start() {
    cancelScheduled = undefined;
    const batch = waiting;
    waiting = [];
    running++;
    // run() is called synchronously here: a batch's work starts in the turn that collected it.
    void run(batch).finally(() => {
      running--;
      lastEndedAt = performance.now();
      schedule();
      wakeIdleWaiters();
    });
  }

  async function run(batch: Entry<T, R>[]): Promise<void> {
    let results: BatchResults<R>;
    try {
      results = await processBatch(batch.map((e) => e.item));
    } catch (err) {
      for (const e of batch) e.reject(err);
      return;
    }
    if (results.length !== batch.length) {
      const err = new Error(`a batch of ${batch.length} item(s) returned ${results.length} result(s)`);
      for (const e of batch) e.reject(err);
      return;
    }
    for (const [i, e] of batch.entries()) e.resolve(results[i]!);
  }

  return {
    add: (item) =>
      new Promise<R>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        schedule();
      }),
    drain() {
      if (cancelScheduled) {
        cancelScheduled();
        start();
      }
      if (running === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
