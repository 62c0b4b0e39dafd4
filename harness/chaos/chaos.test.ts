// Short chaos runs in every `npm test`: the gateway is SIGKILLed every few seconds under load (and,
// with two publishers on one PostgreSQL outbox, one publisher with it), and after the drain every
// acknowledged event has reached every consumer exactly once.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeArtifact } from '../integration/support.ts';
import { chaosMarkdown, writeChaosReport } from './report.ts';
import { runChaos } from './run.ts';

describe('chaos', () => {
  it('loses nothing while the gateway is killed every 3 s', async () => {
    const run = await runChaos({
      dir: tempDir('chaos'),
      design: 'ours',
      fault: 'gateway',
      events: 800,
      rate: 40,
      faultIntervalMs: 3000,
      downtimeMs: 1000,
      drainTimeoutMs: 120_000,
    });
    const out = tempDir('chaos-report');
    writeChaosReport([run], out);
    writeArtifact('chaos.md', readFileSync(path.join(out, 'chaos.md'), 'utf8'));
    writeArtifact('chaos-timeline.svg', readFileSync(path.join(out, 'chaos-timeline.svg'), 'utf8'));
    expect(run.faults.length).toBeGreaterThanOrEqual(3);
    expect(run.result.acknowledged).toBeGreaterThan(700);
    expect(run.result.reasons).toEqual([]);
    for (const c of run.result.consumers) expect(c).toMatchObject({ lost: 0, unexpected: 0, duplicated: 0 });
    expect(run.result.valid).toBe(true);
    expect(existsSync(path.join(out, 'chaos.json'))).toBe(true);
    expect(readFileSync(path.join(out, 'chaos-timeline.svg'), 'utf8')).toContain('SIGKILL gateway');
  }, 240_000);

  it('loses nothing with two publishers on a PostgreSQL outbox, one killed in turn with the gateway', async () => {
    const run = await runChaos({
      dir: tempDir('chaos-pg'),
      design: 'ours',
      store: 'postgres',
      publishers: 2,
      fault: 'gateway+publisher',
      events: 480,
      rate: 40,
      faultIntervalMs: 2500,
      downtimeMs: 1000,
      drainTimeoutMs: 120_000,
    });
    writeArtifact('chaos-postgres.md', chaosMarkdown([run]));
    expect(run.options).toMatchObject({ store: 'postgres', publishers: 2 });
    expect(run.faults.filter((f) => /SIGKILL gateway, then publisher-\d/.test(f.label)).length).toBeGreaterThanOrEqual(1);
    expect(run.result.acknowledged).toBeGreaterThan(400);
    expect(run.result.reasons).toEqual([]);
    for (const c of run.result.consumers) expect(c).toMatchObject({ lost: 0, unexpected: 0, duplicated: 0 });
    expect(run.result.valid).toBe(true);
  }, 240_000);
});
