// Reads what each consumer saw from its inbox database (read-only; the consumer may still be running).
import { DatabaseSync } from 'node:sqlite';

export type HandledRow = { consumer: string; event_id: string; outcome: 'handled' | 'duplicate'; at: number; delivery_count: number };
export type ProcessedRow = { consumer: string; event_id: string; occurred_at: number; handled_at: number };

function open(dbPath: string): DatabaseSync {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  db.exec('PRAGMA busy_timeout = 5000');
  return db;
}

export function readDeliveryLog(dbPath: string): HandledRow[] {
  const db = open(dbPath);
  try {
    return db.prepare('SELECT consumer, event_id, outcome, at, delivery_count FROM delivery_log').all() as HandledRow[];
  } finally {
    db.close();
  }
}

/** Every handler's commits, or only those at or after `since` (epoch ms). */
export function readProcessed(dbPath: string, since = 0): ProcessedRow[] {
  const db = open(dbPath);
  try {
    return db
      .prepare('SELECT consumer, event_id, occurred_at, handled_at FROM processed WHERE handled_at >= ?')
      .all(since) as ProcessedRow[];
  } finally {
    db.close();
  }
}

/** Per consumer: how many times each event id was handled (a value above 1 is a duplicate). */
export function handledCounts(rows: readonly HandledRow[]): Map<string, Map<string, number>> {
  const byConsumer = new Map<string, Map<string, number>>();
  for (const row of rows) {
    if (row.outcome !== 'handled') continue;
    const counts = byConsumer.get(row.consumer) ?? new Map<string, number>();
    counts.set(row.event_id, (counts.get(row.event_id) ?? 0) + 1);
    byConsumer.set(row.consumer, counts);
  }
  return byConsumer;
}
