// What the gateway answers a webhook, as a value: every step of the request path returns one, and
// app.ts's respond() turns it into the response, the metric and the log line, all with the same reason.
import type { BusFailureReason } from '../bus/publish-event.ts';
import type { EventEnvelope } from '../events/envelope.ts';
import type { Problem } from '../http/problem-details.ts';
import type { SignatureFailureReason } from '../signature/standard-webhooks.ts';

/** The `outcome` label of webhook_gateway_events_received_total. */
export type Outcome = 'accepted' | 'duplicate' | 'invalid' | 'unauthorized' | 'rate_limited' | 'unavailable';

export type WebhookRejection = {
  kind: 'reject';
  outcome: Exclude<Outcome, 'accepted' | 'duplicate'>;
  /** The problem+json body. */
  problem: Problem;
  /** problem.reason: also the metric label and the log field. */
  reason: string;
  /** For webhook_gateway_signature_failures_total. */
  signatureFailure?: SignatureFailureReason;
  /** Close the connection after answering rather than read and discard a body of unknown or excessive size. */
  closeConnection?: boolean;
  headers?: Record<string, string>;
  /** Extra log fields; about a body only its size and where it stops being JSON, never its text. */
  log?: Record<string, unknown>;
  /** Once the event is known, its id and type label the metric and the log line. */
  event?: Pick<EventEnvelope, 'id' | 'type'>;
  /** JetStream did not acknowledge: counted by bus reason, and logged with the client's error. */
  bus?: { reason: BusFailureReason; error: unknown };
};

/** The event is in JetStream (or, in the Phase 1 ack mode, only promised to be: sequence null). */
export type Published = { kind: 'published'; event: EventEnvelope; duplicate: boolean; sequence: number | null };

export type WebhookResult = Published | WebhookRejection;

export function rejection(
  outcome: WebhookRejection['outcome'],
  problem: Problem,
  extra: Omit<WebhookRejection, 'kind' | 'outcome' | 'problem' | 'reason'> = {},
): WebhookRejection {
  return { kind: 'reject', outcome, problem, reason: problem.reason, ...extra };
}
