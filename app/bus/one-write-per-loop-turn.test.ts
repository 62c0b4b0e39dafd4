import { describe, expect, it } from 'vitest';
import { oneWritePerLoopTurn } from './one-write-per-loop-turn.ts';

describe('oneWritePerLoopTurn', () => {
  it('starts publishes requested from separate callbacks of one loop iteration in one synchronous run', async () => {
    const batched = oneWritePerLoopTurn();
    const started: number[] = [];
    let startedBeforeFirstMicrotask = 0;
    const results = await Promise.all(
      // Each setImmediate callback is its own macrotask, as each webhook request is.
      Array.from(
        { length: 20 },
        (_, i) =>
          new Promise<number>((resolve, reject) =>
            setImmediate(() => {
              batched(async () => {
                // The NATS client flushes in a microtask: everything started before it shares one write.
                if (started.length === 0) queueMicrotask(() => (startedBeforeFirstMicrotask = started.length));
                started.push(i);
                return i * 10;
              }).then(resolve, reject);
              expect(started).not.toContain(i);
            }),
          ),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(startedBeforeFirstMicrotask).toBe(20);
  });

  it('gives each caller its own failure', async () => {
    const batched = oneWritePerLoopTurn();
    const throwsAtOnce = (): Promise<string> => {
      throw new Error('sync');
    };
    const outcomes = await Promise.allSettled([
      batched(async () => 'ok'),
      batched(async () => Promise.reject(new Error('nope'))),
      batched(throwsAtOnce),
      batched(async () => 'also ok'),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe('nope');
  });
});
