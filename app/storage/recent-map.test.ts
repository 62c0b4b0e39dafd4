import { describe, expect, it } from 'vitest';
import { recentMap } from './recent-map.ts';

describe('recentMap', () => {
  it('keeps the last entries by key, oldest out first, and a rewritten key counts as new', () => {
    const map = recentMap<number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 3);
    map.set('c', 4);
    expect([map.get('a'), map.get('b'), map.get('c'), map.size]).toEqual([3, undefined, 4, 2]);
  });
});
