import { describe, expect, it } from 'vitest';
import { check, type Delivery, type Invocation } from './checker.ts';

const op = (id: string, outcome: Invocation['outcome'] = 'ok', invokedAt = 0): Invocation => ({
  id,
  invokedAt,
  completedAt: invokedAt + 5,
  outcome,
});
const seen = (id: string, at = 100, consumer = 'journey'): Delivery => ({ consumer, id, at });
const run = (history: Invocation[], deliveries: Delivery[], deadLettered: string[] = []) =>
  check(history, {
    consumers: ['journey'],
    deliveries,
    accepted: new Set(deliveries.map((d) => d.id)),
    deadLettered: new Set(deadLettered),
  });

describe('chaos checker', () => {
  it('is valid when every acknowledged event is delivered once', () => {
    const r = run([op('a'), op('b')], [seen('a'), seen('b')]);
    expect(r.valid).toBe(true);
    expect(r.consumers[0]).toMatchObject({
      attempted: 2,
      acknowledged: 2,
      delivered: 2,
      lost: 0,
      duplicated: 0,
      recovered: 0,
      unexpected: 0,
      deadLettered: 0,
    });
  });

  it('counts an acknowledged event that never arrives as lost, and fails the verdict', () => {
    const r = run([op('a'), op('b')], [seen('a')]);
    expect(r.consumers[0]).toMatchObject({ lost: 1, examples: { lost: ['b'] } });
    expect(r.valid).toBe(false);
    expect(r.reasons[0]).toContain('never delivered');
  });

  it('counts a dead-lettered event as dead-lettered, not lost', () => {
    const r = run([op('a'), op('b')], [seen('a')], ['b']);
    expect(r.consumers[0]).toMatchObject({ lost: 0, deadLettered: 1 });
    expect(r.valid).toBe(true);
  });

  it('counts a second delivery to the same handler as a duplicate, without failing the verdict', () => {
    const r = run([op('a')], [seen('a', 100), seen('a', 200)]);
    expect(r.consumers[0]).toMatchObject({ delivered: 1, duplicated: 1 });
    expect(r.valid).toBe(true);
  });

  it('counts an unknown outcome that was delivered anyway as recovered', () => {
    const r = run([op('a', 'info')], [seen('a')]);
    expect(r).toMatchObject({ acknowledged: 0, unknown: 1 });
    expect(r.consumers[0]).toMatchObject({ recovered: 1, unexpected: 0, lost: 0 });
    expect(r.valid).toBe(true);
  });

  it('counts deliveries of refused or never-invoked events as unexpected, and fails the verdict', () => {
    const r = run([op('a', 'fail')], [seen('a'), seen('ghost')]);
    expect(r.consumers[0]).toMatchObject({ unexpected: 2 });
    expect(r.valid).toBe(false);
  });

  it('measures delivery latency from invocation to first delivery', () => {
    const r = run([op('a', 'ok', 0), op('b', 'ok', 0)], [seen('a', 10), seen('b', 30), seen('b', 90)]);
    expect(r.consumers[0]!.latencyMs).toMatchObject({ p50: 10, max: 30 });
  });

  it('checks every consumer separately', () => {
    const r = check([op('a')], {
      consumers: ['journey', 'safety'],
      deliveries: [seen('a', 1, 'journey')],
      accepted: new Set(['a']),
      deadLettered: new Set(),
    });
    expect(r.consumers.map((c) => [c.consumer, c.lost])).toEqual([
      ['journey', 0],
      ['safety', 1],
    ]);
    expect(r.valid).toBe(false);
  });
});
