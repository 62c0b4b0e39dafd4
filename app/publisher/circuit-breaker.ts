// One circuit breaker per transport endpoint. Pure: the delivery loop keeps the state and supplies
// the clock. With a durable outbox there is no reason to spend an event's attempts on an endpoint
// that is down for everyone: when attempts of several different events fail in a row with
// connection errors, timeouts, 429 or 5xx, the circuit opens, delivery through it pauses, and a
// single event probes the endpoint with a growing interval until it answers again.
import type { AttemptResult } from './retry-policy.ts';

export type BreakerPolicy = {
  /** Distinct events failing in a row that open the circuit. One event failing again and again
   *  (a poison event) never opens it: its own attempts run out instead. */
  failureThreshold: number;
  /** First wait before a probe; doubles after every failed probe, up to maxProbeIntervalMs. */
  probeIntervalMs: number;
  maxProbeIntervalMs: number;
};

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = { failureThreshold: 5, probeIntervalMs: 1000, maxProbeIntervalMs: 30_000 };

export type BreakerState =
  | { status: 'closed'; failingEvents: readonly string[] }
  | { status: 'open'; openedAt: number; probeAt: number; failedProbes: number }
  | { status: 'half_open'; openedAt: number; probeEventId: string; failedProbes: number };

export const CLOSED: BreakerState = { status: 'closed', failingEvents: [] };

/** The endpoint's fault rather than the event's: these say nothing about the event itself. */
export function isEndpointFailure(result: AttemptResult): boolean {
  if (result.kind !== 'response') return true;
  return result.status >= 500 || result.status === 429;
}

export type Permission = { kind: 'send' } | { kind: 'probe' } | { kind: 'wait'; until: number };

/** May an attempt go through now? At most one probe is in flight while the circuit is not closed. */
export function permission(state: BreakerState, now: number): Permission {
  if (state.status === 'closed') return { kind: 'send' };
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
export function afterAttempt(state: BreakerState, eventId: string, result: AttemptResult, now: number, policy: BreakerPolicy): BreakerState {
  const failed = isEndpointFailure(result);
  // Any answer that is not the endpoint's failure (a 2xx, or a 4xx about the event) shows it is up.
  if (!failed) return CLOSED;
  if (state.status === 'closed') {
    const failingEvents = state.failingEvents.includes(eventId) ? state.failingEvents : [...state.failingEvents, eventId];
    if (failingEvents.length < policy.failureThreshold) return { status: 'closed', failingEvents };
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
