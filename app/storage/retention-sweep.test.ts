import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type RetentionSweeper, retentionSweeper as startSweeper } from './retention-sweep.ts';

// The timer is not what these tests are about: an hour never comes, and each sweeper is stopped.
const sweepers: RetentionSweeper[] = [];
const retentionSweeper = (deleteBatch: () => boolean | Promise<boolean>) => {
  const sweeper = startSweeper(deleteBatch, { everyMs: 3600_000, onError: () => undefined });
  sweepers.push(sweeper);
  return sweeper;
};
afterEach(async () => {
  await Promise.all(sweepers.splice(0).map((s) => s.stop()));
});

/** A table of `rows` old rows that a batch deletes `limit` of at a time. */
function oldRows(rows: number, limit: number) {
  const table = { rows, batches: 0 };
  const deleteBatch = () => {
    const deleted = Math.min(limit, table.rows);
    table.rows -= deleted;
    table.batches++;
    return deleted === limit;
  };
  return { table, deleteBatch };
}

describe('retention sweep', () => {
  it.each([
    [0, 1],
    [1999, 1],
    [2000, 2],
    [4001, 3],
    // Above the old cap of 50 batches (100,000 rows), which fell behind at 50 events/s.
    [250_000, 126],
  ])('deletes all of %d old rows, 2,000 a batch, in %d batches', async (rows, batches) => {
    const { table, deleteBatch } = oldRows(rows, 2000);
    await retentionSweeper(deleteBatch).sweep();
    expect(table).toEqual({ rows: 0, batches });
  });

  it('lets other work run between batches', async () => {
    const { deleteBatch } = oldRows(10_000, 2000);
    const seen: string[] = [];
    const { sweep } = retentionSweeper(() => {
      seen.push('batch');
      return deleteBatch();
    });
    const done = sweep();
    void nextTurn().then(() => seen.push('request'));
    await done;
    expect(seen.indexOf('request')).toBeGreaterThan(0);
    expect(seen.indexOf('request')).toBeLessThan(seen.length - 1);
  });

  it('joins a sweep still running instead of starting a second one, and starts afresh after it', async () => {
    const { table, deleteBatch } = oldRows(6000, 2000);
    const { sweep } = retentionSweeper(deleteBatch);
    const first = sweep();
    expect(sweep()).toBe(first);
    await first;
    expect(table.batches).toBe(4);
    table.rows = 10;
    await sweep();
    expect(table).toEqual({ rows: 0, batches: 5 });
  });

  it('ends the sweep on a failing batch and lets the next one run', async () => {
    let calls = 0;
    const { sweep } = retentionSweeper(() => {
      calls++;
      if (calls === 2) throw new Error('disk I/O error');
      return calls < 3;
    });
    await expect(sweep()).rejects.toThrow('disk I/O error');
    await sweep();
    expect(calls).toBe(3);
  });

  it('starts no batch once stopped, and stop waits for the batch in progress', async () => {
    const { table, deleteBatch } = oldRows(10_000, 2000);
    const sweeper = retentionSweeper(deleteBatch);
    const done = sweeper.sweep();
    await sweeper.stop();
    await done;
    expect(table.batches).toBe(1);
    await sweeper.sweep();
    expect(table.batches).toBe(1);
  });

  it('sweeps on its timer, and reports a failed sweep without stopping the next', async () => {
    let calls = 0;
    const errors: string[] = [];
    const sweeper = startSweeper(
      () => {
        calls++;
        if (calls === 1) throw new Error('database is locked');
        return false;
      },
      { everyMs: 20, onError: (err) => errors.push(err.message) },
    );
    sweepers.push(sweeper);
    await new Promise((r) => setTimeout(r, 150));
    expect(errors).toEqual(['database is locked']);
    expect(calls).toBeGreaterThanOrEqual(2);
    await sweeper.stop();
    const after = calls;
    await new Promise((r) => setTimeout(r, 60));
    expect(calls).toBe(after);
  });
});
