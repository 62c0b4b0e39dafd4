// Shared by the integration tests: temp dirs, sending events, and waiting until consumers have them.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CONSUMER_NAMES } from '../../app/consumer/handlers/index.ts';
import { handledCounts, readDeliveryLog } from '../inbox-reader/consumer-log.ts';
import { REPO_ROOT } from '../stack/service.ts';
import { waitFor } from '../stack/wait.ts';

export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `event-bus-${prefix}-`));
}

/** Test artifacts (counts, reports, screenshots) land in test-results/, which CI can keep. */
export function writeArtifact(name: string, content: unknown): string {
  const dir = path.join(REPO_ROOT, 'test-results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

export type DeliveryCounts = { consumer: string; delivered: number; lost: string[]; duplicated: string[]; unexpected: string[] };

/** Compares what each consumer handled with the ids the publisher acknowledged. */
export function countDeliveries(
  dbPath: string,
  acknowledged: ReadonlySet<string>,
  maybe: ReadonlySet<string> = new Set(),
): DeliveryCounts[] {
  const counts = handledCounts(readDeliveryLog(dbPath));
  return CONSUMER_NAMES.map((consumer) => {
    const seen = counts.get(consumer) ?? new Map<string, number>();
    return {
      consumer,
      delivered: [...acknowledged].filter((id) => seen.has(id)).length,
      lost: [...acknowledged].filter((id) => !seen.has(id)),
      duplicated: [...seen].filter(([, n]) => n > 1).map(([id]) => id),
      unexpected: [...seen.keys()].filter((id) => !acknowledged.has(id) && !maybe.has(id)),
    };
  });
}

/** `maybe`: ids sent without an acknowledgement (or by earlier tests); seeing them is not unexpected. */
export async function waitForAllDelivered(
  dbPath: string,
  acknowledged: ReadonlySet<string>,
  timeoutMs = 60_000,
  maybe: ReadonlySet<string> = new Set(),
): Promise<DeliveryCounts[]> {
  let last: DeliveryCounts[] = [];
  try {
    await waitFor(
      'every consumer to handle every acknowledged event',
      () => {
        last = countDeliveries(dbPath, acknowledged, maybe);
        return last.every((c) => c.lost.length === 0);
      },
      { timeoutMs, intervalMs: 250 },
    );
  } catch (err) {
    const summary = last.map((c) => `${c.consumer}: ${c.delivered}/${acknowledged.size}`).join(', ');
    throw new Error(`${(err as Error).message}; delivered so far: ${summary}`);
  }
  return last;
}

/** The numbers a run reports: per-consumer deliveries, and losses and duplicates summed over consumers. */
export function summarize(counts: readonly DeliveryCounts[]) {
  return {
    delivered: Object.fromEntries(counts.map((c) => [c.consumer, c.delivered])),
    lost: counts.reduce((n, c) => n + c.lost.length, 0),
    duplicated: counts.reduce((n, c) => n + c.duplicated.length, 0),
  };
}
