// One soak sample of a running stack: per service process RSS and open fds (/proc), V8 heap and
// event-loop delay (/metrics), outbox and dead-letter depth, inbox rows, and JetStream stream bytes.
import { readdirSync, readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { scrape, sumOf } from '../stack/scrape.ts';
import type { Service } from '../stack/service.ts';
import type { Stack } from '../stack/stack.ts';
import { METRICS } from '../../app/telemetry/metric-catalog.ts';

function procStats(pid: number | undefined): { rss_bytes: number | null; open_fds: number | null } {
  if (pid === undefined) return { rss_bytes: null, open_fds: null };
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return { rss_bytes: kb ? Number(kb) * 1024 : null, open_fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return { rss_bytes: null, open_fds: null };
  }
}

async function serviceValues(service: Service): Promise<Record<string, number | null>> {
  const metrics = await scrape(service.url).catch(() => undefined);
  const has = (name: string) => metrics?.some((s) => s.name === name) ?? false;
  const read = (name: string) => (metrics && has(name) ? sumOf(metrics, name) : null);
  return {
    ...procStats(service.pid()),
    heap_used_bytes: read(METRICS.processHeapUsed.name),
    event_loop_delay_p99_seconds: read(METRICS.processEventLoopDelayP99.name),
  };
}

function dualPathRows(outboxPath: string): Record<string, number | null> {
  try {
    const db = new DatabaseSync(outboxPath, { readOnly: true });
    try {
      db.exec('PRAGMA busy_timeout = 2000');
      return { dual_path_rows: (db.prepare('SELECT count(*) AS n FROM dual_path').get() as { n: number }).n };
    } finally {
      db.close();
    }
  } catch {
    return { dual_path_rows: null };
  }
}

function inboxRows(dbPath: string): Record<string, number | null> {
  try {
    const db = new DatabaseSync(dbPath, { readOnly: true });
    try {
      db.exec('PRAGMA busy_timeout = 2000');
      const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      return {
        processed_rows: count('processed'),
        delivery_log_rows: count('delivery_log'),
        dead_letter_rows: count('consumer_dead_letter'),
      };
    } finally {
      db.close();
    }
  } catch {
    return { processed_rows: null, delivery_log_rows: null, dead_letter_rows: null };
  }
}

async function json<T>(url: string): Promise<T | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return (await res.json()) as T;
  } catch {
    return undefined;
  }
}

/** Values keyed `<service>.<measure>`, null where a read failed (a gap in the chart, not a zero). */
export async function sampleStack(stack: Stack): Promise<Record<string, number | null>> {
  const values: Record<string, number | null> = {};
  const put = (prefix: string, v: Record<string, number | null>) => {
    for (const [k, n] of Object.entries(v)) values[`${prefix}.${k}`] = n;
  };
  const [gateway, publisher, consumer] = await Promise.all([stack.gateway, stack.publisher, stack.consumer].map(serviceValues));
  put('gateway', gateway!);
  put('publisher', publisher!);
  put('consumer', consumer!);
  const health = await json<{ outbox: { depth: number }; deadLetter: { depth: number } }>(`${stack.publisher.url}/health`);
  put('publisher', { outbox_depth: health?.outbox.depth ?? null, dead_letter_rows: health?.deadLetter.depth ?? null });
  put('consumer', inboxRows(stack.consumerDbPath));
  put('publisher', dualPathRows(stack.outboxPath));
  const jsz = await json<{ bytes?: number }>(`${stack.nats.monitorUrl}/jsz`);
  put('nats', { stream_bytes: jsz?.bytes ?? null, ...procStats(stack.nats.pid()) });
  return values;
}
