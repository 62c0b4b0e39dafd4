// The Phase 2 transport mode under chaos: the publisher publishes straight to a three-node JetStream
// cluster while the publisher and one NATS node are SIGKILLed together. Nothing acknowledged is lost.
import { describe, expect, it } from 'vitest';
import { tempDir, writeArtifact } from '../integration/support.ts';
import { chaosMarkdown } from './report.ts';
import { runChaos } from './run.ts';

describe('chaos in the nats transport mode', () => {
  it('loses nothing when the publisher and a NATS node are killed (cluster topology)', async () => {
    const run = await runChaos({
      dir: tempDir('chaos-nats'),
      design: 'ours',
      transportMode: 'nats',
      fault: 'publisher+nats-node',
      events: 600,
      rate: 30,
      faultIntervalMs: 4000,
      downtimeMs: 1500,
      drainTimeoutMs: 120_000,
    });
    writeArtifact('chaos-nats.md', chaosMarkdown([run]));
    expect(run.faults.length).toBeGreaterThanOrEqual(2);
    expect(run.result.acknowledged).toBeGreaterThan(300);
    expect(run.result.reasons).toEqual([]);
    for (const c of run.result.consumers) expect(c).toMatchObject({ lost: 0, unexpected: 0, duplicated: 0 });
  }, 300_000);
});
