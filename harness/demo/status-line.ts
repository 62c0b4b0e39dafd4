// The demo's live one-line status: Prometheus targets and rules, firing alerts, events sent,
// outbox and dead letters, what each consumer handled, and end-to-end p95. Redrawn in place on a
// terminal; printed every 10 s otherwise (CI logs, pipes).
import { DatabaseSync } from 'node:sqlite';
import { CONSUMER_NAMES } from '../../app/consumer/handlers/index.ts';
import { percentile } from '../../app/telemetry/percentile.ts';
import type { Stack } from '../stack/stack.ts';

export type StatusLine = { log(line: string): void; stop(): void };

/** Rule groups Prometheus loads: the ten alerts, the migration recordings, one per SLO. */
const EXPECTED_RULE_GROUPS = 6;

async function json<T>(url: string): Promise<T | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok ? ((await res.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

export function startStatusLine(options: {
  stack: Stack;
  prometheusUrl: string;
  alertmanagerUrl: string;
  counters: { acknowledged: number; failed: number };
  startedAt: number;
  intervalMs?: number;
}): StatusLine {
  const { stack, prometheusUrl, alertmanagerUrl, counters, startedAt } = options;
  const tty = process.stdout.isTTY === true;
  let line = '';
  let ticks = 0;
  let announcedReady = false;
  let lastTick = Date.now();

  const draw = () => {
    if (tty) process.stdout.write(`\r\x1b[2K${line}`);
  };
  const log = (text: string) => {
    if (tty) process.stdout.write('\r\x1b[2K');
    process.stdout.write(`${text}\n`);
    draw();
  };

  const tick = async () => {
    const since = lastTick;
    lastTick = Date.now();
    const targets = await json<{ data: { activeTargets: { health: string }[] } }>(`${prometheusUrl}/api/v1/targets`);
    const rules = await json<{ data: { groups: unknown[] } }>(`${prometheusUrl}/api/v1/rules`);
    const firing = await json<unknown[]>(`${alertmanagerUrl}/api/v2/alerts?active=true&silenced=false&inhibited=false`);
    const health = await json<{ outbox: { depth: number }; deadLetter: { depth: number } }>(`${stack.publisher.url}/health`);
    const up = targets?.data.activeTargets.filter((t) => t.health === 'up').length ?? 0;
    const total = targets?.data.activeTargets.length ?? 0;
    const groups = rules?.data.groups.length ?? 0;
    let delivered = '-';
    let p95 = '-';
    try {
      const db = new DatabaseSync(stack.consumerDbPath, { readOnly: true });
      const rows = db.prepare('SELECT consumer, count(*) AS n FROM processed WHERE handled_at >= ? GROUP BY consumer').all(startedAt) as {
        consumer: string;
        n: number;
      }[];
      const latencies = (
        db.prepare('SELECT handled_at - occurred_at AS ms FROM processed WHERE handled_at >= ?').all(since) as { ms: number }[]
      ).map((r) => r.ms);
      db.close();
      delivered = CONSUMER_NAMES.map((c) => rows.find((r) => r.consumer === c)?.n ?? 0).join('/');
      if (latencies.length) p95 = `${percentile(latencies, 95)} ms`;
    } catch {
      // The consumer has not created its inbox yet.
    }
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(0);
    // Prometheus lists no target before its first service discovery: "0/0 up" would read as broken.
    const targetText = total === 0 ? 'targets: waiting for the first scrape' : `targets ${up}/${total} up`;
    line = `[${seconds}s] ${targetText} · rule groups ${groups} · firing ${firing?.length ?? '?'} · sent ${counters.acknowledged}${counters.failed ? ` (failed ${counters.failed})` : ''} · outbox ${health?.outbox.depth ?? '?'} · delivered ${delivered} (${CONSUMER_NAMES.join('/')}) · dead letters ${health?.deadLetter.depth ?? '?'} · e2e p95 ${p95}`;
    if (!announcedReady && total > 0 && up === total && groups >= EXPECTED_RULE_GROUPS) {
      announcedReady = true;
      log(
        `All ${total} Prometheus targets up and ${groups} rule groups loaded, ${((Date.now() - startedAt) / 1000).toFixed(1)} s after start.`,
      );
    }
    if (tty) draw();
    else if (ticks % 5 === 0) console.log(line);
    ticks++;
  };

  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void tick().finally(() => (running = false));
  }, options.intervalMs ?? 2000);
  return {
    log,
    stop: () => {
      clearInterval(timer);
      if (tty) process.stdout.write('\n');
    },
  };
}
