// Rate limiting per client: one token bucket per client address, up to `perMinute` requests in a
// burst, refilled continuously. The gateway takes a token only after a request is authenticated, so
// unauthenticated junk never spends a real sender's tokens (issue 17, finding 4).
import { rejection, type WebhookRejection } from './webhook-result.ts';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };
export type Bucket = { tokens: number; at: number };

/** One request against a bucket: the decision and the bucket after it. Pure. */
export function takeToken(bucket: Bucket | undefined, now: number, perMinute: number): { decision: RateDecision; bucket: Bucket } {
  const refillPerMs = perMinute / 60_000;
  const tokens = bucket ? Math.min(perMinute, bucket.tokens + (now - bucket.at) * refillPerMs) : perMinute;
  if (tokens >= 1) return { decision: { allowed: true }, bucket: { tokens: tokens - 1, at: now } };
  return {
    decision: { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / refillPerMs / 1000)) },
    bucket: { tokens, at: now },
  };
}

/** A 429 for a sender over its limit, with the seconds until its next token. */
export function tooManyRequests(retryAfterSeconds: number, perMinute: number): WebhookRejection {
  return rejection(
    'rate_limited',
    { status: 429, title: 'Too many requests', reason: 'rate_limited', detail: `Limit is ${perMinute} per minute per client.` },
    { headers: { 'Retry-After': String(retryAfterSeconds) } },
  );
}

/**
 * Whose bucket a request draws from. Without a trusted proxy it is the socket's peer: X-Forwarded-For
 * is whatever the client wrote. Behind one trusted proxy it is the address that proxy appended, the
 * last entry; the entries before it are again whatever the client wrote.
 */
export function clientKey(remoteAddress: string | undefined, forwardedFor: string | undefined, trustProxy: boolean): string {
  if (trustProxy && forwardedFor) {
    const last = forwardedFor
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .at(-1);
    if (last) return last;
  }
  return remoteAddress ?? 'unknown';
}

export type ClientRateLimiterOptions = {
  perMinute: number;
  /** Buckets kept at most; the least recently seen client is forgotten first (and starts full again). */
  maxClients: number;
  now?: () => number;
};

export function createClientRateLimiter(options: ClientRateLimiterOptions) {
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on every use keeps the least recently seen first.
  const buckets = new Map<string, Bucket>();
  return {
    take(client: string): RateDecision {
      const { decision, bucket } = takeToken(buckets.get(client), now(), options.perMinute);
      buckets.delete(client);
      buckets.set(client, bucket);
      if (buckets.size > options.maxClients) buckets.delete(buckets.keys().next().value!);
      return decision;
    },
    size: () => buckets.size,
  };
}
