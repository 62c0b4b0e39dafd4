import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.ts';

describe('rate limiter', () => {
  it('allows a burst of perMinute, then refuses with a Retry-After, then refills', () => {
    let now = 0;
    const take = createRateLimiter(60, () => now);
    for (let i = 0; i < 60; i++) expect(take()).toEqual({ allowed: true });
    expect(take()).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1000;
    expect(take()).toEqual({ allowed: true });
    expect(take().allowed).toBe(false);
  });

  it('asks slow limits to wait longer', () => {
    let now = 0;
    const take = createRateLimiter(2, () => now);
    take();
    take();
    expect(take()).toEqual({ allowed: false, retryAfterSeconds: 30 });
    now += 30_000;
    expect(take().allowed).toBe(true);
  });
});
