// One circuit breaker per transport endpoint. Pure: the delivery loop keeps the state and supplies
// the clock. With a durable outbox there is no reason to spend an event's attempts on an endpoint
// that is down for everyone: when attempts of several different events fail in a row with
// connection errors, timeouts or 5xx, the circuit opens, delivery through it pauses, and a
// single event probes the endpoint with a growing interval until it answers again.
//
// An endpoint that answers "not now" (429, or 503 with Retry-After) is up and has said when to come
// back: delivery through it pauses for that long (capped), without opening the circuit, and the
// events that got the answer keep their attempts (settle.ts).
import { type AttemptResult, parseRetryAfter } from './retry-policy.ts';

export type BreakerPolicy = {
  /** Distinct events failing in a row that open the circuit. One event failing again and again
   *  (a poison event) never opens it: its own attempts run out instead. */
  failureThreshold: number;
  /** First wait before a probe; doubles after every failed probe, up to maxProbeIntervalMs. */
  probeIntervalMs: number;
  maxProbeIntervalMs: number;
  /** The longest pause a Retry-After can ask for: one bad header must not park delivery for days. */
  maxPauseMs: number;
};

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = {
  failureThreshold: 5,
  probeIntervalMs: 1000,
  maxProbeIntervalMs: 30_000,
  maxPauseMs: 60_000,
};

/** A 429 without Retry-After still means "not now": wait as long as a first probe would. */
export const NOT_NOW_DEFAULT_MS = 1000;

/**
 * How long the endpoint asked us to wait, capped at maxPauseMs, when the answer is "not now": a 429,
 * or a 503 with Retry-After (a gateway whose event bus is briefly away). null for any other answer.
 */
export function notNowDelayMs(result: AttemptResult, nowMs: number, maxPauseMs: number): number | null {
  if (result.kind !== 'response') return null;
  const retryAfter = parseRetryAfter(result.retryAfter, nowMs);
  if (result.status === 429) return Math.min(retryAfter ?? NOT_NOW_DEFAULT_MS, maxPauseMs);
  if (result.status === 503 && retryAfter !== undefined) return Math.min(retryAfter, maxPauseMs);
  return null;
}

export type BreakerState =
  /** pausedUntil: the endpoint said "not now"; nothing goes through it before then. */
  | { status: 'closed'; failingEvents: readonly string[]; pausedUntil?: number }
  | { status: 'open'; openedAt: number; probeAt: number; failedProbes: number }
  | { status: 'half_open'; openedAt: number; probeEventId: string; failedProbes: number };

export const CLOSED: BreakerState = { status: 'closed', failingEvents: [] };

/** The endpoint's fault rather than the event's: these say nothing about the event itself.
 *  (afterAttempt takes a "not now" answer, a 429 among them, as a pause before asking this.) */
export function isEndpointFailure(result: AttemptResult): boolean {
  if (result.kind !== 'response') return true;
  return result.status >= 500 || result.status === 429;
}

export type Permission = { kind: 'send' } | { kind: 'probe' } | { kind: 'wait'; until: number };

/** May an attempt go through now? At most one probe is in flight while the circuit is not closed. */
export function permission(state: BreakerState, now: number): Permission {
  if (state.status === 'closed')
    return state.pausedUntil !== undefined && now < state.pausedUntil ? { kind: 'wait', until: state.pausedUntil } : { kind: 'send' };
  if (state.status === 'open' && now >= state.probeAt) return { kind: 'probe' };
  // Half-open: wait for the probe's answer; it settles the circuit one way or the other.
  return { kind: 'wait', until: state.status === 'open' ? state.probeAt : now + 1000 };
}

export function startProbe(state: BreakerState, eventId: string): BreakerState {
  if (state.status !== 'open') return state;
  return { status: 'half_open', openedAt: state.openedAt, probeEventId: eventId, failedProbes: state.failedProbes };
}

function probeDelayMs(failedProbes: number, policy: BreakerPolicy): number {
  return Math.min(policy.maxProbeIntervalMs, policy.probeIntervalMs * 2 ** failedProbes);
}

/** The state after an attempt through the endpoint came back. */
export function afterAttempt(
  state: BreakerState,
  eventId: string,
  result: AttemptResult,
  now: number,
  policy: BreakerPolicy,
): BreakerState {
  const pause = notNowDelayMs(result, now, policy.maxPauseMs);
  if (pause !== null) {
    // Up, and busy: neither a failure towards opening the circuit nor a reason to close it early.
    const until = now + pause;
    if (state.status === 'closed') return { ...state, pausedUntil: Math.max(state.pausedUntil ?? 0, until) };
    if (state.status === 'half_open' && state.probeEventId === eventId) return { status: 'closed', failingEvents: [], pausedUntil: until };
    if (state.status === 'open') return { ...state, probeAt: Math.max(state.probeAt, until) };
    return state;
  }
  const failed = isEndpointFailure(result);
  // Any answer that is not the endpoint's failure (a 2xx, or a 4xx about the event) shows it is up.
  // A pause it asked for still holds: an answer to a request sent before it does not lift it.
  if (!failed)
    return state.status === 'closed' && state.pausedUntil !== undefined && now < state.pausedUntil
      ? { status: 'closed', failingEvents: [], pausedUntil: state.pausedUntil }
      : CLOSED;
  if (state.status === 'closed') {
    const failingEvents = state.failingEvents.includes(eventId) ? state.failingEvents : [...state.failingEvents, eventId];
    if (failingEvents.length < policy.failureThreshold) return { ...state, failingEvents };
    return { status: 'open', openedAt: now, probeAt: now + probeDelayMs(0, policy), failedProbes: 0 };
  }
  if (state.status === 'half_open' && state.probeEventId === eventId) {
    const failedProbes = state.failedProbes + 1;
    return { status: 'open', openedAt: state.openedAt, probeAt: now + probeDelayMs(failedProbes, policy), failedProbes };
  }
  // Attempts sent before the circuit opened and failing now change nothing.
  return state;
}

export function isOpen(state: BreakerState): boolean {
  return state.status !== 'closed';
}

export function isPaused(state: BreakerState, now: number): boolean {
  return state.status === 'closed' && state.pausedUntil !== undefined && now < state.pausedUntil;
}
