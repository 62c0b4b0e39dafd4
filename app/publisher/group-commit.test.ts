import { describe, expect, it } from 'vitest';
import { groupCommit } from './group-commit.ts';

describe('group commit', () => {
  it('commits calls made together in one batch, and answers each caller', async () => {
    const batches: number[][] = [];
    const add = groupCommit((items: number[]) => {
      batches.push(items);
      return items.map((n) => n * 2);
    });
    expect(await Promise.all([add(1), add(2), add(3)])).toEqual([2, 4, 6]);
    expect(await add(4)).toBe(8);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('fails every caller of a batch whose commit fails', async () => {
    const add = groupCommit((): number[] => {
      throw new Error('disk full');
    });
    await expect(Promise.all([add(1), add(2)])).rejects.toThrow('disk full');
  });
});

describe('group commit with an asynchronous database', () => {
  it('runs one commit at a time and gathers what arrives meanwhile into the next', async () => {
    const batches: number[][] = [];
    let running = 0;
    const add = groupCommit(async (items: number[]) => {
      running++;
      expect(running).toBe(1);
      batches.push(items);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return items;
    });
    const first = add(1);
    await new Promise((r) => setImmediate(r));
    const later = [add(2), add(3), add(4)];
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3, 4]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });
});

describe('group commit with a window', () => {
  it('commits an idle caller at once, and gathers a busy stream into fewer commits', async () => {
    const batches: number[][] = [];
    const add = groupCommit(
      (items: number[]) => {
        batches.push(items);
        return items;
      },
      { windowMs: 5 },
    );
    await add(0);
    expect(batches).toEqual([[0]]);
    // Right after a commit, one call a millisecond for 20 ms: gathered, not one commit each.
    const calls: Promise<number>[] = [];
    for (let i = 1; i <= 20; i++) {
      calls.push(add(i));
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await Promise.all(calls)).toHaveLength(20);
    expect(batches.length).toBeLessThan(15);
  });
});
