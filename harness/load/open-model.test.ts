import { describe, expect, it } from 'vitest';
import { percentile } from '../../app/telemetry/percentile.ts';
import { runOpenModel } from './open-model.ts';

describe('open-model load', () => {
  it('starts iterations on schedule even while earlier ones are still running', async () => {
    const run = await runOpenModel({
      stages: [{ ratePerSecond: 50, durationMs: 400 }],
      maxInFlight: 100,
      iteration: () => new Promise((r) => setTimeout(() => r({ ok: true }), 200)),
    });
    expect(run.records).toHaveLength(20);
    expect(run.dropped).toBe(0);
    // Closed-model load would need 20 × 200 ms; open-model finishes in about 400 + 200 ms.
    expect(run.endedAt - run.startedAt).toBeLessThan(2000);
    const lateness = run.records.map((r) => r.startedAt - r.scheduledAt);
    expect(percentile(lateness, 50)).toBeLessThan(50);
  });

  it('drops and counts iterations when too many are in flight', async () => {
    const run = await runOpenModel({
      stages: [{ ratePerSecond: 100, durationMs: 200 }],
      maxInFlight: 5,
      iteration: () => new Promise((r) => setTimeout(() => r({ ok: true }), 500)),
    });
    expect(run.records).toHaveLength(5);
    expect(run.dropped).toBe(15);
  });

  it('records failures and thrown errors as not ok', async () => {
    const run = await runOpenModel({
      stages: [{ ratePerSecond: 100, durationMs: 30 }],
      maxInFlight: 10,
      iteration: async (i) => {
        if (i === 0) throw new TypeError('boom');
        return { ok: i % 2 === 0, errorKind: i % 2 ? 'http_5xx' : undefined };
      },
    });
    expect(run.records.find((r) => r.index === 0)).toMatchObject({ ok: false, errorKind: 'TypeError' });
    expect(run.records.find((r) => r.index === 1)).toMatchObject({ ok: false, errorKind: 'http_5xx' });
  });
});
