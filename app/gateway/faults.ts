// Fault injection for drills: off unless GATEWAY_ADMIN_TOKEN is set, and then only on request.
// Lets a drill raise the latency, error-rate and dead-letter alerts through the real code path.
import { z } from 'zod';

export const faultSchema = z.strictObject({
  /** Share of valid webhooks answered 500 (counted as real 5xx: the error-rate drill). */
  errorRate: z.number().min(0).max(1).default(0),
  /** Share of valid webhooks answered 422 (non-retryable: the dead-letter drill). */
  rejectRate: z.number().min(0).max(1).default(0),
  /** Added before publishing (the latency drill). */
  delayMs: z.int().min(0).max(60_000).default(0),
});

export type Faults = z.infer<typeof faultSchema>;
export const NO_FAULTS: Faults = { errorRate: 0, rejectRate: 0, delayMs: 0 };

export type FaultDecision = { kind: 'none' } | { kind: 'error' } | { kind: 'reject' };

export function decideFault(faults: Faults, random: () => number): FaultDecision {
  const roll = random();
  if (roll < faults.errorRate) return { kind: 'error' };
  if (roll < faults.errorRate + faults.rejectRate) return { kind: 'reject' };
  return { kind: 'none' };
}

export const FAULT_NAMES = ['errorRate', 'rejectRate', 'delayMs'] as const satisfies readonly (keyof Faults)[];

/** The fault gauge's series: each fault's setting (a share, or milliseconds), 0 when off. */
export function faultGaugeValues(faults: Faults): [{ fault: (typeof FAULT_NAMES)[number] }, number][] {
  return FAULT_NAMES.map((fault) => [{ fault }, faults[fault]]);
}
