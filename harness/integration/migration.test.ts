// The Phase 2 migration as configuration: under steady load, the publisher walks webhook → dual →
// nats → webhook, each switch a SIGHUP with a new transport file, no restart. Every phase must lose
// nothing, duplicate nothing in any handler, and refuse no request (no downtime).
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_NAMES } from '../../app/consumer/handlers/index.ts';
import type { TransportMode } from '../../app/publisher/transport.ts';
import { check, type Invocation } from '../chaos/checker.ts';
import { consumerDeliveries, deadLetteredIds } from '../chaos/observe.ts';
import { buddyEvent } from '../load/event-factory.ts';
import { runOpenModel } from '../load/open-model.ts';
import { createEvent } from '../load/publisher-client.ts';
import { scrape } from '../stack/scrape.ts';
import { REPO_ROOT } from '../stack/service.ts';
import { startStack, type Stack } from '../stack/stack.ts';
import { sleep, waitFor } from '../stack/wait.ts';
import { newSecret, tempDir, writeArtifact } from './support.ts';

type Phase = 'webhook' | 'dual' | 'nats' | 'webhook (rollback)';
const PHASES: { phase: Phase; mode: TransportMode }[] = [
  { phase: 'webhook', mode: 'webhook' },
  { phase: 'dual', mode: 'dual' },
  { phase: 'nats', mode: 'nats' },
  { phase: 'webhook (rollback)', mode: 'webhook' },
];
const PHASE_MS = 8000;

let stack: Stack;
let transportFile: string;

beforeAll(async () => {
  const dir = tempDir('migration');
  transportFile = path.join(dir, 'transport');
  writeFileSync(transportFile, 'webhook\n');
  stack = await startStack({ dir, signingSecret: newSecret(), publisherEnv: { PUBLISHER_TRANSPORT_FILE: transportFile } });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

async function publisherMode(): Promise<TransportMode> {
  return ((await (await fetch(`${stack.publisher.url}/health`)).json()) as { mode: TransportMode }).mode;
}

describe('migration walk under load', () => {
  it('switches webhook → dual → nats → webhook with no loss, no duplicates and no downtime', async () => {
    const pid = stack.publisher.pid();
    const history: (Invocation & { phase: Phase })[] = [];
    let phase: Phase = 'webhook';
    const switches: { phase: Phase; at: number }[] = [];
    const load = runOpenModel({
      stages: [{ ratePerSecond: 40, durationMs: PHASES.length * PHASE_MS }],
      maxInFlight: 500,
      iteration: async (i) => {
        const event = buddyEvent(i);
        const invokedAt = Date.now();
        const at = phase;
        const result = await createEvent(stack.publisher.url, event);
        history.push({ id: event.id, invokedAt, completedAt: Date.now(), outcome: result.ok ? 'ok' : 'fail', phase: at });
        return result;
      },
    });
    for (const next of PHASES) {
      if (next.phase !== 'webhook') {
        writeFileSync(transportFile, `${next.mode}\n`);
        process.kill(pid!, 'SIGHUP');
        await waitFor(`the publisher to report ${next.mode}`, async () => (await publisherMode()) === next.mode, {
          timeoutMs: 5000,
          intervalMs: 50,
        });
        phase = next.phase;
        switches.push({ phase: next.phase, at: Date.now() });
      }
      // Mid-dual, the comparison metric must be on /metrics.
      if (next.phase === 'dual') {
        await sleep(PHASE_MS / 2);
        await waitFor(
          'the dual-path comparison metric',
          async () => (await scrape(stack.publisher.url)).some((s) => s.name === 'webhook_publisher_dual_path_difference_seconds_count'),
          { timeoutMs: 5000 },
        );
        await sleep(PHASE_MS / 2);
      } else await sleep(PHASE_MS);
    }
    await load;
    expect(stack.publisher.pid()).toBe(pid);

    // Drain: the outbox empty, every consumer caught up.
    await waitFor(
      'everything to be delivered',
      async () => {
        const depth = ((await (await fetch(`${stack.publisher.url}/health`)).json()) as { outbox: { depth: number } }).outbox.depth;
        const acknowledged = new Set(history.filter((h) => h.outcome === 'ok').map((h) => h.id));
        const delivered = consumerDeliveries(stack.consumerDbPath).filter((d) => acknowledged.has(d.id));
        return depth === 0 && delivered.length >= acknowledged.size * CONSUMER_NAMES.length;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );

    const deliveries = consumerDeliveries(stack.consumerDbPath);
    const results = PHASES.map(({ phase: p }) => {
      const ops = history.filter((h) => h.phase === p);
      const r = check(ops, {
        consumers: CONSUMER_NAMES,
        deliveries: deliveries.filter((d) => ops.some((o) => o.id === d.id)),
        accepted: new Set(),
        deadLettered: deadLetteredIds(stack.outboxPath),
      });
      return {
        phase: p,
        invoked: r.attempted,
        acknowledged: r.acknowledged,
        refused: r.failed + r.unknown,
        ...Object.fromEntries(r.consumers.map((c) => [c.consumer, { delivered: c.delivered, lost: c.lost, duplicated: c.duplicated }])),
        valid: r.valid,
      };
    });
    writeArtifact('migration-walk.json', { switches, results });
    console.log('migration walk', JSON.stringify(results));
    for (const r of results) {
      expect(r.refused, `${r.phase}: requests refused (downtime)`).toBe(0);
      expect(r.acknowledged).toBeGreaterThan(200);
      expect(r.valid, r.phase).toBe(true);
      for (const c of CONSUMER_NAMES)
        expect((r as unknown as Record<string, { lost: number; duplicated: number }>)[c], `${r.phase} ${c}`).toMatchObject({
          lost: 0,
          duplicated: 0,
        });
    }

    // The dual phase compared clean: every event arrived through both paths.
    const compare = await promisify(execFile)(
      process.execPath,
      [path.join(REPO_ROOT, 'app/publisher/dual-path-cli.ts'), '--outbox', stack.outboxPath, '--since', '10m'],
      { cwd: REPO_ROOT },
    );
    expect(compare.stdout).toContain('CLEAN: every event arrived through both paths');
    // Events created in the nats phase went straight to JetStream, not through the gateway (except
    // the last second's, which may still have been queued when the rollback switched back).
    const gatewayLog = readFileSync(stack.gateway.logFile, 'utf8');
    const natsPhaseEnd = switches.find((s) => s.phase === 'webhook (rollback)')!.at;
    const natsOnly = history.filter((h) => h.phase === 'nats' && h.completedAt < natsPhaseEnd - 1000);
    expect(natsOnly.length).toBeGreaterThan(200);
    expect(natsOnly.filter((h) => gatewayLog.includes(h.id))).toEqual([]);
  }, 180_000);

  it('keeps the current transport mode when the transport file is invalid', async () => {
    const before = await publisherMode();
    writeFileSync(transportFile, 'carrier-pigeon\n');
    process.kill(stack.publisher.pid()!, 'SIGHUP');
    await sleep(500);
    expect(await publisherMode()).toBe(before);
    expect(readFileSync(stack.publisher.logFile, 'utf8')).toContain('transport file rejected');
  });
});
