// How much history a Prometheus must keep for the SLOs it computes. A 30-day budget on 15 days of
// data (Prometheus' default retention) reads as twice as healthy as it is, and nothing says so.
import { recordedSloWindow } from './generate-rules.ts';
import type { SloSpec } from './spec.ts';

const DAYS_PER_UNIT: Record<string, number> = { m: 1 / 1440, h: 1 / 24, d: 1, w: 7, y: 365 };

/** Prometheus duration (`35d`, `4w`, `1y`, `720h`) in days; undefined when it is not one. */
export function durationDays(duration: string): number | undefined {
  const match = /^(\d+)([mhdwy])$/.exec(duration);
  return match ? Number(match[1]) * DAYS_PER_UNIT[match[2]!]! : undefined;
}

/** The longest SLO window plus five days, so the oldest block of the window is never the one being deleted. */
export function requiredRetentionDays(specs: readonly SloSpec[]): number {
  return Math.max(...specs.map((s) => durationDays(recordedSloWindow(s))!)) + 5;
}

/** The `--storage.tsdb.retention.time` value in a Prometheus argument list, or Prometheus' default. */
export function retentionOf(args: readonly string[]): string {
  const flag = args.find((a) => a.startsWith('--storage.tsdb.retention.time='));
  return flag ? flag.slice(flag.indexOf('=') + 1) : '15d';
}
