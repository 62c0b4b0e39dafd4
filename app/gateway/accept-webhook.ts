// The gateway's decision about one webhook, pure: the request and the policy in, "publish this event"
// or "reject with this reason" out. No sockets, no NATS, no clock but the one passed in.
//
// It runs in three steps, cheapest first, and app.ts calls the same three with the edges between
// them: admitRequest (headers only) before the body is read, authenticateBody once it is, then the
// per-client rate limit, then readEvent. The rate limit sits after authentication so that junk
// never spends a real sender's tokens (issue 17), and before the JSON parse so that a sender over
// its limit costs no parse.
import type { KeyObject } from 'node:crypto';
import { type EventEnvelope, validateEvent } from '../events/envelope.ts';
import { describeMalformedJson } from '../http/body-errors.ts';
import { header, type RequestHeaders } from '../http/request-header.ts';
import { type CheckedSignatureHeaders, SIGNATURE_HEADERS, verifyBody } from '../signature/standard-webhooks.ts';
import { type AdmissionPolicy, admitRequest, checkWebhookId, payloadTooLarge, signatureProblem } from './admission.ts';
import { rejection, type WebhookRejection } from './webhook-result.ts';

export type WebhookRequest = {
  /** Content-Type, Content-Length and the webhook-* headers are read; names in lower case, as Node gives them. */
  headers: RequestHeaders;
  body: Buffer;
};

export type AcceptPolicy = AdmissionPolicy & {
  /** The signing keys: more than one during a rotation. */
  keys: readonly KeyObject[];
  nowMs: number;
};

export type AcceptedWebhook = { kind: 'publish'; event: EventEnvelope; body: Buffer };

export function acceptWebhook(request: WebhookRequest, policy: AcceptPolicy): AcceptedWebhook | WebhookRejection {
  const admitted = admitRequest(request.headers, policy.nowMs, policy);
  if (admitted.kind === 'reject') return admitted;
  const refused = authenticateBody(admitted.signature, request.body, policy);
  return refused ?? readEvent(request.body, header(request.headers, SIGNATURE_HEADERS.id));
}

/** The HMAC over the body (none when validation is off). A rejection, or null when the body may be read. */
export function authenticateBody(
  signature: CheckedSignatureHeaders | null,
  body: Buffer,
  policy: Pick<AcceptPolicy, 'keys' | 'maxBodyBytes'>,
): WebhookRejection | null {
  // A chunked body declares no size; the body reader stops one over the limit, and so does this.
  if (body.length > policy.maxBodyBytes) return rejection('invalid', payloadTooLarge(policy.maxBodyBytes));
  if (!signature) return null;
  const verified = verifyBody(policy.keys, signature, body);
  if (verified.ok) return null;
  return rejection('unauthorized', signatureProblem(verified.reason, verified.detail), { signatureFailure: verified.reason });
}

/** JSON, the envelope and its data schema, then webhook-id = event id. */
export function readEvent(body: Buffer, webhookId: string | undefined): AcceptedWebhook | WebhookRejection {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    // JSON.parse's message quotes the body around the error: answer and log its size and position instead.
    const malformed = describeMalformedJson(body);
    const problem = { status: 400, title: 'Malformed JSON', reason: 'malformed_json', detail: malformed.detail };
    return rejection('invalid', problem, { log: malformed.log });
  }
  const validation = validateEvent(parsed);
  if (!validation.ok) {
    const { reason, detail, errors } = validation.failure;
    return rejection('invalid', { status: 422, title: 'Invalid event', reason, detail, errors });
  }
  const { event } = validation;
  const idProblem = checkWebhookId(webhookId, event.id);
  if (idProblem) return rejection('invalid', idProblem, { event: { id: event.id, type: event.type } });
  return { kind: 'publish', event, body };
}

/** A body the reader gave up on: too large once streamed (chunked), or cut short. */
export function unreadableBody(err: { type?: string; message: string }, maxBodyBytes: number): WebhookRejection {
  if (err.type === 'entity.too.large') return rejection('invalid', payloadTooLarge(maxBodyBytes));
  // body-parser's other messages (aborted, length mismatch, bad charset) name no body content.
  return rejection('invalid', { status: 400, title: 'Unreadable body', reason: 'unreadable_body', detail: err.message });
}
