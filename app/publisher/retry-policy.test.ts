import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  errorReason,
  isRetryableStatus,
  nextStep,
  parseRetryAfter,
  statusClass,
  type RetryPolicy,
} from './retry-policy.ts';

const policy: RetryPolicy = { maxRetries: 5, baseDelayMs: 1000, jitter: 0.2, maxRetryAfterMs: 300_000 };
const mid = () => 0.5; // no jitter
const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('backoff schedule', () => {
  it('doubles from the base: 1, 2, 4, 8, 16 s', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, policy, mid))).toEqual([1000, 2000, 4000, 8000, 16000]);
  });

  it('keeps jitter within ±20 %', () => {
    for (const retry of [1, 2, 3, 4, 5]) {
      const base = 1000 * 2 ** (retry - 1);
      expect(backoffDelayMs(retry, policy, () => 0)).toBe(base * 0.8);
      expect(backoffDelayMs(retry, policy, () => 0.999999)).toBeCloseTo(base * 1.2, -1);
      for (let i = 0; i < 200; i++) {
        const d = backoffDelayMs(retry, policy, Math.random);
        expect(d).toBeGreaterThanOrEqual(base * 0.8);
        expect(d).toBeLessThanOrEqual(base * 1.2);
      }
    }
  });

  it('retries five times, then dead-letters as exhausted', () => {
    const fail = { kind: 'response', status: 503 } as const;
    const steps = [1, 2, 3, 4, 5, 6].map((attempt) => nextStep(attempt, fail, policy, NOW, mid));
    expect(steps.slice(0, 5).map((s) => (s.action === 'retry' ? s.delayMs : s.action))).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(steps[5]).toEqual({ action: 'dead_letter', why: 'exhausted', reason: 'http_5xx' });
  });

  it('uses CSR_WEBHOOK_RETRY_ATTEMPTS=0 to mean a single attempt', () => {
    expect(nextStep(1, { kind: 'timeout' }, { ...policy, maxRetries: 0 }, NOW, mid)).toEqual({
      action: 'dead_letter',
      why: 'exhausted',
      reason: 'timeout',
    });
  });
});

describe('which failures are retried', () => {
  it.each([500, 502, 503, 504, 408, 425, 429])('retries %i', (status) => {
    expect(isRetryableStatus(status)).toBe(true);
    expect(nextStep(1, { kind: 'response', status }, policy, NOW, mid).action).toBe('retry');
  });

  it.each([400, 401, 403, 404, 409, 410, 413, 415, 422])('never retries %i', (status) => {
    expect(isRetryableStatus(status)).toBe(false);
    expect(nextStep(1, { kind: 'response', status }, policy, NOW, mid)).toEqual({
      action: 'dead_letter',
      why: 'rejected',
      reason: 'http_4xx',
    });
  });

  it('retries timeouts and connection errors', () => {
    expect(nextStep(1, { kind: 'timeout' }, policy, NOW, mid)).toMatchObject({ action: 'retry', reason: 'timeout' });
    expect(nextStep(1, { kind: 'connection', message: 'ECONNREFUSED' }, policy, NOW, mid)).toMatchObject({
      action: 'retry',
      reason: 'connection',
    });
  });

  it('treats every 2xx as delivered', () => {
    for (const status of [200, 201, 202, 204])
      expect(nextStep(1, { kind: 'response', status }, policy, NOW, mid)).toEqual({ action: 'delivered' });
  });

  it('labels reasons and status classes as the metrics expect', () => {
    expect(errorReason({ kind: 'response', status: 429 })).toBe('http_429');
    expect(errorReason({ kind: 'response', status: 503 })).toBe('http_5xx');
    expect(errorReason({ kind: 'response', status: 404 })).toBe('http_4xx');
    expect(statusClass({ kind: 'response', status: 202 })).toBe('2xx');
    expect(statusClass({ kind: 'timeout' })).toBe('timeout');
    expect(statusClass({ kind: 'connection', message: 'x' })).toBe('connection');
  });
});

describe('Retry-After', () => {
  it('parses delta-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7000);
    expect(parseRetryAfter(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000);
    expect(parseRetryAfter(new Date(NOW - 30_000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });

  it('waits at least as long as the server asks', () => {
    expect(nextStep(1, { kind: 'response', status: 503, retryAfter: '10' }, policy, NOW, mid)).toMatchObject({
      action: 'retry',
      delayMs: 10_000,
    });
    expect(nextStep(1, { kind: 'response', status: 429, retryAfter: '10' }, policy, NOW, mid)).toMatchObject({
      action: 'retry',
      delayMs: 10_000,
      reason: 'http_429',
    });
  });

  it('never waits less than its own backoff', () => {
    expect(nextStep(5, { kind: 'response', status: 503, retryAfter: '1' }, policy, NOW, mid)).toMatchObject({ delayMs: 16_000 });
  });

  it('caps an absurd Retry-After', () => {
    expect(nextStep(1, { kind: 'response', status: 503, retryAfter: '864000' }, policy, NOW, mid)).toMatchObject({ delayMs: 300_000 });
  });
});
