// The dual-publish comparison: did each event arrive through both paths, and how far apart? Pure.
import type { DualPathRow } from './outbox-row.ts';

export type DualPathSummary = {
  compared: number;
  both: number;
  webhookOnly: number;
  natsOnly: number;
  oneWayIds: string[];
  /** nats minus webhook acknowledgement time, in ms: positive when the webhook path was faster. */
  differenceMs: { p50: number; p95: number; p99: number; min: number; max: number } | null;
  clean: boolean;
};

function nearestRank(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarizeDualPaths(rows: readonly DualPathRow[]): DualPathSummary {
  const oneWay = rows.filter((r) => r.paths !== 'both');
  const differences = rows.filter((r) => r.webhook_at !== null && r.nats_at !== null).map((r) => r.nats_at! - r.webhook_at!).sort((a, b) => a - b);
  return {
    compared: rows.length,
    both: rows.length - oneWay.length,
    webhookOnly: rows.filter((r) => r.paths === 'webhook_only').length,
    natsOnly: rows.filter((r) => r.paths === 'nats_only').length,
    oneWayIds: oneWay.map((r) => r.id),
    differenceMs: differences.length
      ? { p50: nearestRank(differences, 50), p95: nearestRank(differences, 95), p99: nearestRank(differences, 99), min: differences[0]!, max: differences.at(-1)! }
      : null,
    clean: oneWay.length === 0,
  };
}
