// A token bucket: up to `perMinute` requests in a burst, refilled continuously.
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export function createRateLimiter(perMinute: number, now: () => number = Date.now) {
  const refillPerMs = perMinute / 60_000;
  let tokens = perMinute;
  let last = now();
  return function take(): RateDecision {
    const t = now();
    tokens = Math.min(perMinute, tokens + (t - last) * refillPerMs);
    last = t;
    if (tokens >= 1) {
      tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / refillPerMs / 1000)) };
  };
}
