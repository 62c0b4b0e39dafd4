import { describe, expect, it } from 'vitest';
import { summarizeDualPaths } from './dual-path.ts';
import type { DualPathRow } from './outbox-row.ts';

const row = (id: string, webhook_at: number | null, nats_at: number | null): DualPathRow => ({
  id,
  webhook_at,
  nats_at,
  paths: webhook_at !== null && nats_at !== null ? 'both' : webhook_at !== null ? 'webhook_only' : 'nats_only',
  completed_at: 0,
});

describe('dual-path comparison', () => {
  it('is clean when every event arrived both ways, and measures the difference', () => {
    const s = summarizeDualPaths([row('a', 100, 110), row('b', 100, 90), row('c', 100, 130)]);
    expect(s).toMatchObject({ compared: 3, both: 3, clean: true, oneWayIds: [] });
    expect(s.differenceMs).toEqual({ p50: 10, p95: 30, p99: 30, min: -10, max: 30 });
  });

  it('names every event that came only one way', () => {
    const s = summarizeDualPaths([row('a', 100, 110), row('b', 100, null), row('c', null, 50)]);
    expect(s).toMatchObject({ both: 1, webhookOnly: 1, natsOnly: 1, clean: false, oneWayIds: ['b', 'c'] });
  });

  it('reports no difference when nothing was compared', () => {
    expect(summarizeDualPaths([]).differenceMs).toBeNull();
  });
});
