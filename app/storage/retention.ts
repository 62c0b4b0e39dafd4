// How long the inbox (processed, delivery_log) and the publisher's dual-path table keep rows. Pure.
import { DEFAULT_STREAM_LIMITS } from '../bus/event-stream.ts';

const DAY_MS = 24 * 3600 * 1000;

/**
 * A row may go only once nothing can bring its event back: JetStream dedups a retried publish for
 * its duplicate window (10 min) and can redeliver or replay any message it still holds, up to the
 * stream's max_age (7 days). After that the inbox row is the only memory of the event, so it must
 * outlive both.
 */
export function retentionFloorMs(stream: { maxAgeDays: number; duplicateWindowSeconds: number }): number {
  return Math.max(stream.maxAgeDays * DAY_MS, stream.duplicateWindowSeconds * 1000);
}

/** Twice the stream's max_age: a week of margin for a replayed dead letter or a restored backup. */
export const DEFAULT_RETENTION_MS = 2 * DEFAULT_STREAM_LIMITS.maxAgeDays * DAY_MS;

/** Why a retention is unsafe against the stream's limits, or undefined when it is not. */
export function retentionProblem(retentionMs: number, stream: { maxAgeDays: number; duplicateWindowSeconds: number }): string | undefined {
  const floor = retentionFloorMs(stream);
  return retentionMs <= floor
    ? `retention ${retentionMs} ms is not above the stream's max_age and duplicate window (${floor} ms): a redelivered event could be handled twice`
    : undefined;
}

/** A quarter of the retention, between 1 s and 1 h: rows never outstay it by more than a quarter. */
export function sweepIntervalMs(retentionMs: number): number {
  return Math.min(3600_000, Math.max(1000, Math.floor(retentionMs / 4)));
}
