// Group commit: calls made in the same turn of the event loop share one transaction (one fsync)
// instead of paying one each. Every caller still waits for its own data to be committed. One
// commit runs at a time: what arrives while it runs joins the next, so batches grow with load.
// `windowMs`: under load (the last commit was less than a window ago) wait that long to gather
// more, which bounds the fsyncs per second; an idle caller still commits at once.
export function groupCommit<T, R>(commit: (items: T[]) => R[] | Promise<R[]>, options: { windowMs?: number } = {}): (item: T) => Promise<R> {
  const windowMs = options.windowMs ?? 0;
  let lastCommitAt = -Infinity;
  let pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;
  let committing = false;
  const schedule = () => {
    if (scheduled || committing) return;
    scheduled = true;
    if (windowMs > 0 && performance.now() - lastCommitAt < windowMs) setTimeout(flush, windowMs);
    else setImmediate(flush);
  };
  async function flush() {
    scheduled = false;
    committing = true;
    const batch = pending;
    pending = [];
    try {
      const results = await commit(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      lastCommitAt = performance.now();
      committing = false;
      if (pending.length) schedule();
    }
  }
  return (item) =>
    new Promise<R>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      schedule();
    });
}
