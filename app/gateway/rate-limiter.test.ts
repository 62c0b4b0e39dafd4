import { describe, expect, it } from 'vitest';
import { type Bucket, clientKey, createClientRateLimiter, takeToken } from './rate-limiter.ts';

describe('token bucket', () => {
  // [case, bucket before, now, perMinute, decision, tokens after]
  const table: [string, Bucket | undefined, number, number, object, number][] = [
    ['a new client starts with a full burst', undefined, 0, 60, { allowed: true }, 59],
    ['the last token goes', { tokens: 1, at: 0 }, 0, 60, { allowed: true }, 0],
    [
      'an empty bucket refuses, asking for the second one token takes',
      { tokens: 0, at: 0 },
      0,
      60,
      { allowed: false, retryAfterSeconds: 1 },
      0,
    ],
    ['a second refills one token at 60 per minute', { tokens: 0, at: 0 }, 1000, 60, { allowed: true }, 0],
    ['a slow limit asks for a longer wait', { tokens: 0, at: 0 }, 0, 2, { allowed: false, retryAfterSeconds: 30 }, 0],
    ['refill stops at the burst size', { tokens: 0, at: 0 }, 3_600_000, 60, { allowed: true }, 59],
  ];
  it.each(table)('%s', (_case, bucket, now, perMinute, decision, tokens) => {
    const result = takeToken(bucket, now, perMinute);
    expect(result.decision).toEqual(decision);
    expect(result.bucket.tokens).toBeCloseTo(tokens, 6);
    expect(result.bucket.at).toBe(now);
  });
});

describe('client key', () => {
  const table: [string, string | undefined, string | undefined, boolean, string][] = [
    ['the socket peer by default', '10.0.0.1', undefined, false, '10.0.0.1'],
    ['X-Forwarded-For is ignored unless the proxy is trusted', '10.0.0.1', '6.6.6.6', false, '10.0.0.1'],
    ['behind a trusted proxy, the address it appended (the last)', '10.0.0.1', '6.6.6.6, 203.0.113.9', true, '203.0.113.9'],
    ['a trusted proxy that sent no header: the peer', '10.0.0.1', undefined, true, '10.0.0.1'],
    ['an empty header: the peer', '10.0.0.1', ' , ', true, '10.0.0.1'],
  ];
  it.each(table)('%s', (_case, remote, forwarded, trust, expected) => {
    expect(clientKey(remote, forwarded, trust)).toBe(expected);
  });
});

describe('per-client rate limiter', () => {
  it('gives each client its own bucket', () => {
    const limiter = createClientRateLimiter({ perMinute: 2, maxClients: 10, now: () => 0 });
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')].map((d) => d.allowed)).toEqual([true, true, false]);
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('keeps at most maxClients buckets, forgetting the least recently seen', () => {
    const limiter = createClientRateLimiter({ perMinute: 1, maxClients: 3, now: () => 0 });
    for (const c of ['a', 'b', 'c']) limiter.take(c);
    limiter.take('a'); // a is now the most recently seen, b the least
    limiter.take('d');
    expect(limiter.size()).toBe(3);
    expect(limiter.take('a').allowed).toBe(false); // still remembered: its bucket is empty
    expect(limiter.take('b').allowed).toBe(true); // forgotten: starts full again
    for (let i = 0; i < 10_000; i++) limiter.take(`flood-${i}`);
    expect(limiter.size()).toBe(3);
  });
});
