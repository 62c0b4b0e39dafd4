// Group commit: calls made in the same turn of the event loop share one transaction (one fsync)
// instead of paying one each. Every caller still waits for its own data to be committed. One
// commit runs at a time: what arrives while it runs joins the next, so batches grow with load.
// `windowMs`: under load (the last commit was less than a window ago) wait that long to gather
// more, which bounds the fsyncs per second; an idle caller still commits at once.
import { sameTurnBatches } from '../batching/same-turn-batches.ts';

export function groupCommit<T, R>(
  commit: (items: T[]) => R[] | Promise<R[]>,
  options: { windowMs?: number } = {},
): (item: T) => Promise<R> {
  return sameTurnBatches(commit, { order: 'one-at-a-time', windowMs: options.windowMs }).add;
}
