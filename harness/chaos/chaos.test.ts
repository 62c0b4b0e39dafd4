// A short chaos run in every `npm test`: the gateway is SIGKILLed every few seconds under load, and
// after the drain every acknowledged event has reached every consumer exactly once.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeArtifact } from '../integration/support.ts';
import { writeChaosReport } from './report.ts';
import { runChaos } from './run.ts';

describe('chaos', () => {
  it('loses nothing while the gateway is killed every 3 s', async () => {
    const run = await runChaos({ dir: tempDir('chaos'), design: 'ours', fault: 'gateway', events: 800, rate: 40, faultIntervalMs: 3000, downtimeMs: 1000, drainTimeoutMs: 120_000 });
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
});
