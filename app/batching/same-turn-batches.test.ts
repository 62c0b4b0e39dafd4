import { describe, expect, it } from 'vitest';
import { type SameTurnBatchOptions, sameTurnBatches } from './same-turn-batches.ts';

// A later turn of the event loop: the timers phase of a next iteration, after this one's setImmediate.
const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 1));

type Scenario = {
  name: string;
  order: SameTurnBatchOptions['order'];
  /** Items added in each turn, one turn after another. */
  turns: number[][];
  /** Each batch waits until every turn has been added: what arrives meanwhile shows the order policy. */
  hold: boolean;
  batches: number[][];
  maxConcurrent: number;
};

const SCENARIOS: Scenario[] = [
  { name: 'one turn is one batch', order: 'overlapping', turns: [[1, 2, 3]], hold: false, batches: [[1, 2, 3]], maxConcurrent: 1 },
  {
    name: 'separate turns are separate batches',
    order: 'overlapping',
    turns: [[1], [2, 3], [4]],
    hold: false,
    batches: [[1], [2, 3], [4]],
    maxConcurrent: 1,
  },
  {
    name: 'overlapping: a turn starts while earlier batches run',
    order: 'overlapping',
    turns: [[1], [2], [3, 4]],
    hold: true,
    batches: [[1], [2], [3, 4]],
    maxConcurrent: 3,
  },
  {
    name: 'one at a time: an idle caller starts at the end of its turn',
    order: 'one-at-a-time',
    turns: [[1], [2, 3]],
    hold: false,
    batches: [[1], [2, 3]],
    maxConcurrent: 1,
  },
  {
    name: 'one at a time: what arrives while a batch runs forms the next',
    order: 'one-at-a-time',
    turns: [[1], [2], [3, 4]],
    hold: true,
    batches: [[1], [2, 3, 4]],
    maxConcurrent: 1,
  },
];

describe('sameTurnBatches: batch boundaries and order', () => {
  it.each(SCENARIOS)('$name', async (scenario) => {
    const batches: number[][] = [];
    let running = 0;
    let maxConcurrent = 0;
    let open = () => {};
    const gate = scenario.hold ? new Promise<void>((resolve) => (open = resolve)) : Promise.resolve();
    const batched = sameTurnBatches(
      async (items: number[]) => {
        batches.push(items);
        maxConcurrent = Math.max(maxConcurrent, ++running);
        await gate;
        running--;
        return items.map((n) => n * 10);
      },
      { order: scenario.order },
    );
    const results: Promise<number>[] = [];
    for (const turn of scenario.turns) {
      for (const item of turn) results.push(batched.add(item));
      await nextTurn();
    }
    open();
    // Each caller gets its own item's result, in the order the items were added.
    expect(await Promise.all(results)).toEqual(scenario.turns.flat().map((n) => n * 10));
    expect(batches).toEqual(scenario.batches);
    expect(maxConcurrent).toBe(scenario.maxConcurrent);
  });

  it('gathers items added from separate callbacks of one loop iteration, as requests arrive', async () => {
    const batches: number[][] = [];
    const batched = sameTurnBatches((items: number[]) => {
      batches.push(items);
      return items;
    });
    // Each setImmediate callback is a macrotask of its own, as each webhook request is.
    const added = Array.from(
      { length: 5 },
      (_, i) => new Promise<number>((resolve, reject) => setImmediate(() => batched.add(i).then(resolve, reject))),
    );
    expect(await Promise.all(added)).toEqual([0, 1, 2, 3, 4]);
    expect(batches).toEqual([[0, 1, 2, 3, 4]]);
  });
});

describe('sameTurnBatches: failures', () => {
  const failures: { name: string; processBatch: (items: number[]) => number[] | Promise<number[]>; message: string }[] = [
    {
      name: 'a synchronous throw',
      processBatch: () => {
        throw new Error('disk full');
      },
      message: 'disk full',
    },
    { name: 'a rejected batch', processBatch: async () => Promise.reject(new Error('connection lost')), message: 'connection lost' },
    { name: 'a result missing', processBatch: (items) => items.slice(1), message: 'a batch of 2 item(s) returned 1 result(s)' },
  ];

  it.each(failures)('$name fails every caller of that batch, and only of that batch', async ({ processBatch, message }) => {
    let calls = 0;
    const batched = sameTurnBatches((items: number[]) => (++calls === 1 ? processBatch(items) : items), { order: 'one-at-a-time' });
    const first = Promise.allSettled([batched.add(1), batched.add(2)]);
    expect((await first).map((o) => (o.status === 'rejected' ? (o.reason as Error).message : o.value))).toEqual([message, message]);
    expect(await Promise.all([batched.add(3), batched.add(4)])).toEqual([3, 4]);
  });

  it('fails only the caller whose own result is a rejection', async () => {
    const batched = sameTurnBatches((items: number[]) => items.map((n) => (n === 2 ? Promise.reject(new Error(`item ${n}`)) : n)));
    const outcomes = await Promise.allSettled([batched.add(1), batched.add(2), batched.add(3)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe('item 2');
  });
});

describe('sameTurnBatches with a window', () => {
  it('starts an idle caller at once, and gathers a busy stream into fewer batches', async () => {
    const batches: number[][] = [];
    const batched = sameTurnBatches(
      (items: number[]) => {
        batches.push(items);
        return items;
      },
      { order: 'one-at-a-time', windowMs: 5 },
    );
    await batched.add(0);
    expect(batches).toEqual([[0]]);
    // Right after a batch, one item a millisecond for 20 ms: gathered, not one batch each.
    const added: Promise<number>[] = [];
    for (let i = 1; i <= 20; i++) {
      added.push(batched.add(i));
      await nextTurn();
    }
    expect(await Promise.all(added)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(batches.length).toBeLessThan(15);
    expect(batches.flat()).toEqual(Array.from({ length: 21 }, (_, i) => i));
  });
});

describe('sameTurnBatches.drain', () => {
  it('resolves at once when nothing waits or runs', async () => {
    const batched = sameTurnBatches((items: number[]) => items);
    await expect(batched.drain()).resolves.toBeUndefined();
  });

  it('starts what waits before the end of the turn, and resolves once every batch has settled', async () => {
    const batches: number[][] = [];
    const settled: number[] = [];
    const batched = sameTurnBatches(
      async (items: number[]) => {
        batches.push(items);
        await new Promise((resolve) => setTimeout(resolve, 10));
        return items;
      },
      { order: 'one-at-a-time' },
    );
    void batched.add(1).then((n) => settled.push(n));
    const drained = batched.drain();
    expect(batches).toEqual([[1]]);
    void batched.add(2).then((n) => settled.push(n));
    await drained;
    // The item added while the first batch ran was processed too before drain resolved.
    expect(batches).toEqual([[1], [2]]);
    expect(settled).toEqual([1, 2]);
  });
});
