// The dual-publish comparison: did each event arrive through both paths, and how far apart? Pure.
import { percentileOfSorted } from '../telemetry/percentile.ts';
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

export function summarizeDualPaths(rows: readonly DualPathRow[]): DualPathSummary {
  const oneWay = rows.filter((r) => r.paths !== 'both');
  const differences = rows
    .filter((r) => r.webhook_at !== null && r.nats_at !== null)
    .map((r) => r.nats_at! - r.webhook_at!)
    .sort((a, b) => a - b);
  return {
    compared: rows.length,
    both: rows.length - oneWay.length,
    webhookOnly: rows.filter((r) => r.paths === 'webhook_only').length,
    natsOnly: rows.filter((r) => r.paths === 'nats_only').length,
    oneWayIds: oneWay.map((r) => r.id),
    differenceMs: differences.length
      ? {
          p50: percentileOfSorted(differences, 50),
          p95: percentileOfSorted(differences, 95),
          p99: percentileOfSorted(differences, 99),
          min: differences[0]!,
          max: differences.at(-1)!,
        }
      : null,
    clean: oneWay.length === 0,
  };
}
