// What to do after each delivery attempt. Pure: the delivery loop supplies the clock and randomness.

export type RetryPolicy = {
  /** CSR_WEBHOOK_RETRY_ATTEMPTS: retries after the first attempt (5 gives delays of 1, 2, 4, 8, 16 s). */
  maxRetries: number;
  /** CSR_WEBHOOK_RETRY_BACKOFF_MS: the first delay; each later one doubles. */
  baseDelayMs: number;
  /** ±20 % spreads retries of a burst so they do not hit a recovering gateway in lockstep. */
  jitter: number;
  /** A server's Retry-After is honoured up to this bound, so one bad header cannot park an event for days. */
  maxRetryAfterMs: number;
};

export const DEFAULT_JITTER = 0.2;
export const DEFAULT_MAX_RETRY_AFTER_MS = 5 * 60_000;

export type AttemptResult =
  | { kind: 'response'; status: number; retryAfter?: string | null }
  | { kind: 'timeout' }
  | { kind: 'connection'; message: string };

export const DELIVERY_ERROR_REASONS = ['timeout', 'connection', 'http_4xx', 'http_429', 'http_5xx'] as const;
export type DeliveryErrorReason = (typeof DELIVERY_ERROR_REASONS)[number];

export type NextStep =
  | { action: 'delivered' }
  | { action: 'retry'; delayMs: number; reason: DeliveryErrorReason }
  | { action: 'dead_letter'; why: 'exhausted' | 'rejected'; reason: DeliveryErrorReason };

/** 408, 425 and 429 say "not now"; every other 4xx says "never", so retrying it only adds load. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 425 || status === 429;
}

export function errorReason(result: AttemptResult): DeliveryErrorReason | undefined {
  if (result.kind === 'timeout') return 'timeout';
  if (result.kind === 'connection') return 'connection';
  if (result.status >= 200 && result.status < 300) return undefined;
  if (result.status === 429) return 'http_429';
  if (result.status >= 500) return 'http_5xx';
  return 'http_4xx';
}

/** The label for the attempt-duration histogram. */
export function statusClass(result: AttemptResult): string {
  if (result.kind !== 'response') return result.kind;
  return `${Math.floor(result.status / 100)}xx`;
}

/** Delay before retry number `retry` (1-based): base * 2^(retry-1), then ±jitter. */
export function backoffDelayMs(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'jitter'>, random: () => number): number {
  const base = policy.baseDelayMs * 2 ** (retry - 1);
  const spread = policy.jitter * (2 * random() - 1);
  return Math.round(base * (1 + spread));
}

/** Retry-After as delta-seconds or an HTTP-date, in milliseconds from now; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export function nextStep(attempt: number, result: AttemptResult, policy: RetryPolicy, nowMs: number, random: () => number): NextStep {
  const reason = errorReason(result);
  if (!reason) return { action: 'delivered' };
  if (result.kind === 'response' && !isRetryableStatus(result.status)) return { action: 'dead_letter', why: 'rejected', reason };
  const retry = attempt; // attempt 1 failed -> retry 1
  if (retry > policy.maxRetries) return { action: 'dead_letter', why: 'exhausted', reason };
  const backoff = backoffDelayMs(retry, policy, random);
  const retryAfter = result.kind === 'response' ? parseRetryAfter(result.retryAfter, nowMs) : undefined;
  const delayMs = retryAfter === undefined ? backoff : Math.max(backoff, Math.min(retryAfter, policy.maxRetryAfterMs));
  return { action: 'retry', delayMs, reason };
}
