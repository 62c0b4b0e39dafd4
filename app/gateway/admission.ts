// The gateway's cheap request path: what can be decided from the headers alone, before the body is
// read. An invalid request costs no body read, no HMAC and no JSON parse, and it never spends a
// sender's rate-limit tokens (those are taken only after authentication, in app.ts). Pure: headers,
// the clock and the configuration in, a decision out.
import type { Problem } from '../http/problem-details.ts';
import { header, type RequestHeaders } from '../http/request-header.ts';
import {
  type CheckedSignatureHeaders,
  checkSignatureHeaders,
  SIGNATURE_HEADERS,
  type SignatureFailureReason,
} from '../signature/standard-webhooks.ts';
import { rejection, type WebhookRejection } from './webhook-result.ts';

export type AdmissionPolicy = {
  /** Signature validation on: the three webhook-* headers are required and checked here. */
  signatureRequired: boolean;
  toleranceSeconds: number;
  maxBodyBytes: number;
};

/** Admitted: read the body, then verify `signature` against it (null when validation is off). */
export type Admission = { kind: 'admitted'; signature: CheckedSignatureHeaders | null } | WebhookRejection;

const JSON_CONTENT_TYPE = /^application\/([\w.+-]+\+)?json$/i;

/** Content type, declared size, then the signature headers and their timestamp window. */
export function admitRequest(headers: RequestHeaders, nowMs: number, policy: AdmissionPolicy): Admission {
  const declared = header(headers, 'content-length');
  const length = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined;
  // A body of known, acceptable size is read and discarded by Node to keep the connection; one of
  // unknown size (chunked) or too large is not worth reading: the connection closes instead.
  const closeConnection = header(headers, 'transfer-encoding') !== undefined || (length !== undefined && length > policy.maxBodyBytes);
  const reject = (outcome: 'invalid' | 'unauthorized', problem: Problem, signatureFailure?: SignatureFailureReason) =>
    rejection(outcome, problem, signatureFailure ? { closeConnection, signatureFailure } : { closeConnection });

  const contentType = (header(headers, 'content-type') ?? '').split(';')[0]!.trim();
  if (!JSON_CONTENT_TYPE.test(contentType)) {
    return reject('invalid', {
      status: 415,
      title: 'Unsupported media type',
      reason: 'unsupported_media_type',
      detail: 'Send Content-Type: application/json.',
    });
  }
  // The signature covers the bytes as sent: a compressed body would have to be inflated before the
  // HMAC, so it is refused before it is read (RFC 9110: 415 for an unsupported content coding).
  const coding = (header(headers, 'content-encoding') ?? 'identity').trim().toLowerCase();
  if (coding !== 'identity') {
    return reject('invalid', {
      status: 415,
      title: 'Unsupported media type',
      reason: 'unsupported_media_type',
      detail: `Content-Encoding ${coding} is not accepted: send the body uncompressed.`,
    });
  }
  if (length !== undefined && length > policy.maxBodyBytes) {
    return reject('invalid', payloadTooLarge(policy.maxBodyBytes));
  }
  if (!policy.signatureRequired) return { kind: 'admitted', signature: null };
  const checked = checkSignatureHeaders(
    {
      id: header(headers, SIGNATURE_HEADERS.id),
      timestamp: header(headers, SIGNATURE_HEADERS.timestamp),
      signature: header(headers, SIGNATURE_HEADERS.signature),
    },
    Math.floor(nowMs / 1000),
    policy.toleranceSeconds,
  );
  if (!checked.ok) return reject('unauthorized', signatureProblem(checked.reason, checked.detail), checked.reason);
  return { kind: 'admitted', signature: checked.headers };
}

export function payloadTooLarge(maxBodyBytes: number): Problem {
  return {
    status: 413,
    title: 'Payload too large',
    reason: 'payload_too_large',
    detail: `The body exceeds ${maxBodyBytes} bytes, more than the largest valid event.`,
  };
}

export function signatureProblem(reason: SignatureFailureReason, detail: string): Problem {
  return { status: 401, title: 'Invalid webhook signature', reason: `signature_${reason}`, detail };
}

/**
 * webhook-id must be the event's own id: the signature binds the id to the body, and dedup
 * (JetStream msgID, consumer inbox) keys on the event id, so a different webhook-id would let a
 * replay pass as a new delivery. Without signature validation the header may be absent.
 */
export function checkWebhookId(webhookId: string | undefined, eventId: string): Problem | null {
  if (webhookId === undefined || webhookId === eventId) return null;
  return {
    status: 400,
    title: 'webhook-id does not match the event',
    reason: 'webhook_id_mismatch',
    detail: `webhook-id must equal the event id (${eventId}).`,
  };
}
