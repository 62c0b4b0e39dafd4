// The cheap request path, decided from headers alone: no NATS, no sockets, no body.
import { describe, expect, it } from 'vitest';
import { parseSecrets, signatureHeaders } from '../signature/standard-webhooks.ts';
import type { RequestHeaders } from '../http/request-header.ts';
import { type AdmissionPolicy, admitRequest, checkWebhookId } from './admission.ts';

const keys = parseSecrets(`whsec_${Buffer.alloc(32, 3).toString('base64')}`);
const NOW_MS = 1_750_000_000_000;
const nowSeconds = NOW_MS / 1000;
const signed: AdmissionPolicy = { signatureRequired: true, toleranceSeconds: 300, maxBodyBytes: 30_720 };
const unsigned: AdmissionPolicy = { ...signed, signatureRequired: false };
const id = '00000000-0000-4000-8000-000000000001';
const good = (over: Record<string, string | undefined> = {}): RequestHeaders => ({
  'content-type': 'application/json',
  'content-length': '1000',
  ...signatureHeaders(keys, id, nowSeconds, '{}'),
  ...over,
});

describe('admission before the body is read', () => {
  // [case, headers, policy, expected]
  const table: [string, RequestHeaders, AdmissionPolicy, Record<string, unknown>][] = [
    [
      'signed JSON is admitted, with its signature to verify against the body',
      good(),
      signed,
      { kind: 'admitted', signature: { id, timestamp: String(nowSeconds) } },
    ],
    ['a JSON subtype is JSON', good({ 'content-type': 'application/cloudevents+json; charset=utf-8' }), signed, { kind: 'admitted' }],
    [
      'unsigned JSON is admitted when validation is off',
      good({ 'webhook-signature': undefined }),
      unsigned,
      { kind: 'admitted', signature: null },
    ],
    [
      'the wrong content type is 415',
      good({ 'content-type': 'text/plain' }),
      signed,
      { kind: 'reject', outcome: 'invalid', problem: { status: 415, reason: 'unsupported_media_type' }, closeConnection: false },
    ],
    ['no content type is 415', good({ 'content-type': undefined }), unsigned, { kind: 'reject', problem: { status: 415 } }],
    [
      'a compressed body is 415: the signature covers the bytes as sent',
      good({ 'content-encoding': 'gzip' }),
      signed,
      { kind: 'reject', outcome: 'invalid', problem: { status: 415, reason: 'unsupported_media_type' } },
    ],
    ['identity coding is no coding', good({ 'content-encoding': 'identity' }), signed, { kind: 'admitted' }],
    [
      'a declared body over the limit is 413, and the connection closes',
      good({ 'content-length': '30721' }),
      signed,
      { kind: 'reject', outcome: 'invalid', problem: { status: 413, reason: 'payload_too_large' }, closeConnection: true },
    ],
    ['a body at the limit is admitted', good({ 'content-length': '30720' }), signed, { kind: 'admitted' }],
    [
      'no signature headers is 401 missing',
      good({ 'webhook-id': undefined, 'webhook-timestamp': undefined, 'webhook-signature': undefined }),
      signed,
      { kind: 'reject', outcome: 'unauthorized', problem: { status: 401, reason: 'signature_missing' }, signatureFailure: 'missing' },
    ],
    [
      'a timestamp outside the window is 401 expired',
      good({ 'webhook-timestamp': String(nowSeconds - 301) }),
      signed,
      { kind: 'reject', problem: { reason: 'signature_expired' }, signatureFailure: 'expired' },
    ],
    [
      'a timestamp in the future beyond the window is expired too',
      good({ 'webhook-timestamp': String(nowSeconds + 301) }),
      signed,
      { kind: 'reject', signatureFailure: 'expired' },
    ],
    [
      'a non-numeric timestamp is malformed',
      good({ 'webhook-timestamp': 'yesterday' }),
      signed,
      { kind: 'reject', signatureFailure: 'malformed' },
    ],
    [
      'a signature that is not base64 is malformed',
      good({ 'webhook-signature': 'v1,@@@' }),
      signed,
      { kind: 'reject', signatureFailure: 'malformed' },
    ],
    [
      'a chunked body of unknown size closes the connection when rejected',
      good({ 'content-length': undefined, 'transfer-encoding': 'chunked', 'webhook-signature': undefined }),
      signed,
      { kind: 'reject', signatureFailure: 'missing', closeConnection: true },
    ],
    [
      'a rejected body of acceptable size keeps the connection',
      good({ 'webhook-signature': undefined }),
      signed,
      { kind: 'reject', closeConnection: false },
    ],
  ];
  it.each(table)('%s', (_case, headers, policy, expected) => {
    expect(admitRequest(headers, NOW_MS, policy)).toMatchObject(expected);
  });

  it('takes the first of repeated headers', () => {
    expect(admitRequest({ ...good(), 'content-type': ['application/json', 'text/plain'] }, NOW_MS, signed)).toMatchObject({
      kind: 'admitted',
    });
  });
});

describe('webhook-id is the event id', () => {
  const table: [string, string | undefined, Record<string, unknown> | null][] = [
    ['the same id passes', id, null],
    ['an absent header passes (only possible with validation off)', undefined, null],
    ['another id is 400 webhook_id_mismatch', '00000000-0000-4000-8000-000000000002', { status: 400, reason: 'webhook_id_mismatch' }],
  ];
  it.each(table)('%s', (_case, webhookId, expected) => {
    const problem = checkWebhookId(webhookId, id);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatchObject(expected);
  });
});
