// What follows one delivery round of an outbox row: delivered, retry at T, or dead-letter; which
// paths now have the event; the dual-path record. Pure: delivery-loop.ts only carries it out.
//
// An event's own attempts count only failures that are about the event. When the endpoint's
// circuit is open (the endpoint is down for everyone), a failed or skipped attempt is not charged:
// the event waits for the next probe with its attempts intact, so an outage of any length ends
// with the events delivered, not dead-lettered. Nor is an answer of "not now" (429, or 503 with
// Retry-After): the endpoint is up and asked for a wait, which the event takes (at least the
// Retry-After, capped) with its attempts intact, so a flood that rate-limits us dead-letters nothing.
import { notNowDelayMs } from './circuit-breaker.ts';
import type { OutboxRow } from './outbox-row.ts';
import { type AttemptResult, type DeliveryErrorReason, errorReason, nextStep, type RetryPolicy } from './retry-policy.ts';
import type { TransportPath } from './transport.ts';

/** One path's part of a round. circuitOpenUntil is set when the path's circuit was open as the
 *  answer came back (or before sending, when nothing was sent): the next probe's time. */
export type RoundOutcome =
  | { path: TransportPath; sent: true; result: AttemptResult; circuitOpenUntil: number | null }
  | { path: TransportPath; sent: false; circuitOpenUntil: number };

export type SettlePolicy = RetryPolicy & {
  /** The paths the current mode delivers through (both while migrating). */
  required: readonly TransportPath[];
  /** The longest wait a "not now" answer imposes (BreakerPolicy.maxPauseMs). */
  maxPauseMs: number;
};

export type DualPath = { webhook_at: number | null; nats_at: number | null };

type Common = {
  id: string;
  /** Paths that acknowledged the event in this round, with when. */
  done: Partial<Record<TransportPath, number>>;
  /** Failed attempts in this round, for the delivery-error metric (charged or not). */
  errors: { path: TransportPath; reason: DeliveryErrorReason }[];
  /** Status of the first answer in this round, if any. */
  status: number | null;
};

export type Settlement =
  | (Common & { action: 'delivered'; dualPath: DualPath | null })
  | (Common & {
      action: 'retry';
      attempts: number;
      nextAttemptAt: number;
      reason: DeliveryErrorReason | 'circuit_open';
      charged: boolean;
      retried: TransportPath[];
    })
  | (Common & { action: 'dead_letter'; attempts: number; reason: string; detail: string; dualPath: DualPath | null });

type Failure = {
  path: TransportPath;
  charged: boolean;
  step:
    | { action: 'retry'; delayMs: number; reason: DeliveryErrorReason | 'circuit_open' }
    | { action: 'dead_letter'; why: 'exhausted' | 'rejected'; reason: DeliveryErrorReason };
  result?: AttemptResult;
};

export function settle(
  row: OutboxRow,
  outcomes: readonly RoundOutcome[],
  policy: SettlePolicy,
  now: number,
  random: () => number,
): Settlement {
  const attempt = row.attempts + 1;
  const doneAt: Record<TransportPath, number | null> = { webhook: row.webhook_done_at, nats: row.nats_done_at };
  const done: Partial<Record<TransportPath, number>> = {};
  const errors: Common['errors'] = [];
  const failures: Failure[] = [];
  const status = statusOf(outcomes.flatMap((o) => (o.sent ? [o.result] : [])));

  for (const o of outcomes) {
    if (!o.sent) {
      failures.push({
        path: o.path,
        charged: false,
        step: { action: 'retry', delayMs: Math.max(0, o.circuitOpenUntil - now), reason: 'circuit_open' },
      });
      continue;
    }
    const reason = errorReason(o.result);
    if (!reason) {
      done[o.path] = now;
      doneAt[o.path] = now;
      continue;
    }
    errors.push({ path: o.path, reason });
    const circuitWaitMs = o.circuitOpenUntil === null ? 0 : Math.max(0, o.circuitOpenUntil - now);
    const notNowMs = notNowDelayMs(o.result, now, policy.maxPauseMs);
    if (notNowMs !== null) {
      failures.push({
        path: o.path,
        charged: false,
        step: { action: 'retry', delayMs: Math.max(notNowMs, circuitWaitMs), reason },
        result: o.result,
      });
      continue;
    }
    const step = nextStep(attempt, o.result, policy, now, random);
    if (step.action === 'delivered') continue; // unreachable: reason is set
    // A rejection (non-retryable 4xx) is about the event whatever the circuit says.
    const rejected = step.action === 'dead_letter' && step.why === 'rejected';
    if (o.circuitOpenUntil !== null && !rejected) {
      failures.push({ path: o.path, charged: false, step: { action: 'retry', delayMs: circuitWaitMs, reason }, result: o.result });
    } else failures.push({ path: o.path, charged: true, step, result: o.result });
  }

  const pending = policy.required.filter((path) => doneAt[path] === null);
  const dualPath = policy.required.length > 1 ? { webhook_at: doneAt.webhook, nats_at: doneAt.nats } : null;
  if (pending.length === 0) return { id: row.id, action: 'delivered', done, errors, status, dualPath };

  // Only failures of paths still pending matter (a path done earlier is never retried).
  const relevant = failures.filter((f) => pending.includes(f.path));
  const charged = relevant.some((f) => f.charged);
  const attempts = charged ? attempt : row.attempts;
  const deadLetter = relevant.find((f) => f.step.action === 'dead_letter');
  if (deadLetter && deadLetter.step.action === 'dead_letter') {
    const connection = relevant.find((f) => f.result?.kind === 'connection')?.result as { message: string } | undefined;
    const detail = connection
      ? connection.message
      : `${deadLetter.step.why} after ${attempt} attempt(s) via ${relevant.map((f) => f.path).join(' and ')}`;
    return {
      id: row.id,
      action: 'dead_letter',
      done,
      errors,
      status: statusOf(relevant.map((f) => f.result)) ?? status,
      attempts: attempt,
      reason: `${deadLetter.step.why}:${deadLetter.step.reason}`,
      detail,
      dualPath: doneAt.webhook !== null || doneAt.nats !== null ? dualPath : null,
    };
  }
  // The longest wait decides; an uncharged failure waits for the circuit's next probe.
  const waits = relevant.map((f) => (f.step.action === 'retry' ? f.step.delayMs : 0));
  const deciding = relevant[waits.indexOf(Math.max(...waits))]!;
  return {
    id: row.id,
    action: 'retry',
    done,
    errors,
    status: statusOf(relevant.map((f) => f.result)) ?? status,
    attempts,
    nextAttemptAt: now + Math.max(...waits),
    reason: deciding.step.reason,
    charged,
    retried: relevant.filter((f) => f.result !== undefined).map((f) => f.path),
  };
}

/** The HTTP status of the first answer among these results, if any answered. */
function statusOf(results: readonly (AttemptResult | undefined)[]): number | null {
  for (const r of results) if (r?.kind === 'response') return r.status;
  return null;
}
