// Standard Webhooks signatures (https://www.standardwebhooks.com):
// webhook-signature = space-separated "v1,<base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`>".
// Several signatures (and several secrets) are accepted so that keys can rotate without downtime.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

export const SIGNATURE_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Five minutes either way: replay protection that still tolerates ordinary clock skew. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export const SIGNATURE_FAILURE_REASONS = ['missing', 'malformed', 'mismatch', 'expired'] as const;
export type SignatureFailureReason = (typeof SIGNATURE_FAILURE_REASONS)[number];
export type VerifyResult = { ok: true } | { ok: false; reason: SignatureFailureReason; detail: string };

/** Decodes a `whsec_<base64>` secret into its key bytes; throws on any other form. */
export function decodeSecret(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error(`webhook secret must start with "${SECRET_PREFIX}"`);
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) throw new Error('webhook secret must be base64 after "whsec_"');
  const key = Buffer.from(encoded, 'base64');
  if (key.length < 16) throw new Error('webhook secret must decode to at least 16 bytes');
  return key;
}

/**
 * Several secrets may be configured at once, space-separated, during a rotation. They become
 * KeyObjects once, here: importing raw key bytes on every HMAC cost the gateway 7 % of its CPU.
 */
export function parseSecrets(value: string): KeyObject[] {
  return value
    .split(/\s+/)
    .filter(Boolean)
    .map((s) => createSecretKey(decodeSecret(s)));
}

function hmac(key: KeyObject, id: string, timestamp: number | string, body: string | Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

/** The value of the webhook-signature header: one `v1,` signature per key. */
export function sign(keys: readonly KeyObject[], id: string, timestamp: number, body: string | Buffer): string {
  return keys.map((key) => `v1,${hmac(key, id, timestamp, body).toString('base64')}`).join(' ');
}

export function signatureHeaders(keys: readonly KeyObject[], id: string, timestamp: number, body: string | Buffer): Record<string, string> {
  return {
    [SIGNATURE_HEADERS.id]: id,
    [SIGNATURE_HEADERS.timestamp]: String(timestamp),
    [SIGNATURE_HEADERS.signature]: sign(keys, id, timestamp, body),
  };
}

export type SignedRequest = {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: Buffer;
};

/** Signature headers that passed every check possible without the body. */
export type CheckedSignatureHeaders = { id: string; timestamp: string; candidates: Buffer[] };
export type HeaderCheck = { ok: true; headers: CheckedSignatureHeaders } | { ok: false; reason: SignatureFailureReason; detail: string };

/**
 * Presence, form and the timestamp window: everything that needs no body, so a gateway can turn an
 * unsigned or stale request away before reading (and paying for) its body.
 */
export function checkSignatureHeaders(
  headers: Omit<SignedRequest, 'body'>,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): HeaderCheck {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) {
    const absent = [!id && SIGNATURE_HEADERS.id, !timestamp && SIGNATURE_HEADERS.timestamp, !signature && SIGNATURE_HEADERS.signature];
    return { ok: false, reason: 'missing', detail: `Missing header(s): ${absent.filter(Boolean).join(', ')}.` };
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return { ok: false, reason: 'malformed', detail: 'webhook-timestamp must be integer Unix seconds.' };
  }
  const candidates: Buffer[] = [];
  for (const part of signature.split(' ').filter(Boolean)) {
    const comma = part.indexOf(',');
    if (comma < 0) return { ok: false, reason: 'malformed', detail: 'Each signature must look like "v1,<base64>".' };
    const [version, value] = [part.slice(0, comma), part.slice(comma + 1)];
    // Unknown versions (a future v1a, say) are skipped rather than rejected, as the spec asks.
    if (version !== 'v1') continue;
    if (!BASE64.test(value)) return { ok: false, reason: 'malformed', detail: 'A v1 signature is not valid base64.' };
    candidates.push(Buffer.from(value, 'base64'));
  }
  if (candidates.length === 0) return { ok: false, reason: 'malformed', detail: 'No v1 signature in webhook-signature.' };

  const sentAt = Number(timestamp);
  if (Math.abs(nowSeconds - sentAt) > toleranceSeconds) {
    return { ok: false, reason: 'expired', detail: `webhook-timestamp is more than ${toleranceSeconds} s away from the server clock.` };
  }
  return { ok: true, headers: { id, timestamp, candidates } };
}

/** The HMAC over the body, for headers that passed checkSignatureHeaders. */
export function verifyBody(keys: readonly KeyObject[], headers: CheckedSignatureHeaders, body: Buffer): VerifyResult {
  for (const key of keys) {
    // Sign over the header exactly as sent, not a re-formatted number.
    const expected = hmac(key, headers.id, headers.timestamp, body);
    for (const candidate of headers.candidates) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return { ok: true };
    }
  }
  return { ok: false, reason: 'mismatch', detail: 'No signature matches a configured secret.' };
}

export function verify(
  keys: readonly KeyObject[],
  request: SignedRequest,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): VerifyResult {
  const checked = checkSignatureHeaders(request, nowSeconds, toleranceSeconds);
  return checked.ok ? verifyBody(keys, checked.headers, request.body) : checked;
}
