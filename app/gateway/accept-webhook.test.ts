// The gateway's whole decision about a webhook, as a table: no sockets, no NATS, a fixed clock.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buddyEnvelope } from '../../harness/load/event-factory.ts';
import { parseSecrets, sign, signatureHeaders } from '../signature/standard-webhooks.ts';
import { type AcceptPolicy, acceptWebhook, unreadableBody, type WebhookRequest } from './accept-webhook.ts';

const current = parseSecrets(`whsec_${Buffer.alloc(32, 1).toString('base64')}`);
const retiring = parseSecrets(`whsec_${Buffer.alloc(32, 2).toString('base64')}`);
const stranger = parseSecrets(`whsec_${Buffer.alloc(32, 3).toString('base64')}`);
const NOW_MS = 1_750_000_000_000;
const nowSeconds = NOW_MS / 1000;
const signedPolicy: AcceptPolicy = { signatureRequired: true, keys: current, toleranceSeconds: 300, maxBodyBytes: 30_720, nowMs: NOW_MS };
const unsignedPolicy: AcceptPolicy = { ...signedPolicy, signatureRequired: false, keys: [] };
const rotating: AcceptPolicy = { ...signedPolicy, keys: [...current, ...retiring] };

const event = buddyEnvelope(3, new Date(NOW_MS));
const valid = JSON.stringify(event);
const withEvent = (change: (e: Record<string, unknown>) => Record<string, unknown>) => JSON.stringify(change({ ...event }));

type Options = { keys?: typeof current; id?: string; timestamp?: number; headers?: Record<string, string | undefined> };

/** A request as the publisher sends it: JSON, webhook-id = the event id, signed now with the current key. */
function signed(body: string, options: Options = {}): WebhookRequest {
  const id = options.id ?? event.id;
  return {
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      ...signatureHeaders(options.keys ?? current, id, options.timestamp ?? nowSeconds, body),
      ...options.headers,
    },
    body: Buffer.from(body),
  };
}

function unsigned(body: string, headers: Record<string, string> = {}): WebhookRequest {
  return {
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
    body: Buffer.from(body),
  };
}

describe('acceptWebhook rejects', () => {
  // [case, request, policy, expected]
  const table: [string, WebhookRequest, AcceptPolicy, Record<string, unknown>][] = [
    [
      'the wrong content type: 415',
      signed(valid, { headers: { 'content-type': 'text/plain' } }),
      signedPolicy,
      { outcome: 'invalid', problem: { status: 415 }, reason: 'unsupported_media_type' },
    ],
    [
      'no content type: 415',
      signed(valid, { headers: { 'content-type': undefined } }),
      signedPolicy,
      { problem: { status: 415 }, reason: 'unsupported_media_type' },
    ],
    [
      'a declared size over the limit: 413, and the connection closes',
      signed(valid, { headers: { 'content-length': '30721' } }),
      signedPolicy,
      { outcome: 'invalid', problem: { status: 413 }, reason: 'payload_too_large', closeConnection: true },
    ],
    [
      'a chunked body over the limit: 413',
      signed('x'.repeat(30_721), { headers: { 'content-length': undefined, 'transfer-encoding': 'chunked' } }),
      signedPolicy,
      { problem: { status: 413 }, reason: 'payload_too_large' },
    ],
    [
      'no signature headers: 401 missing',
      unsigned(valid),
      signedPolicy,
      { outcome: 'unauthorized', problem: { status: 401 }, reason: 'signature_missing', signatureFailure: 'missing' },
    ],
    [
      'a signature that is not base64: 401 malformed',
      signed(valid, { headers: { 'webhook-signature': 'v1,@@not-base64@@' } }),
      signedPolicy,
      { reason: 'signature_malformed', signatureFailure: 'malformed' },
    ],
    [
      'a timestamp that is not Unix seconds: 401 malformed',
      signed(valid, { headers: { 'webhook-timestamp': 'yesterday' } }),
      signedPolicy,
      { reason: 'signature_malformed' },
    ],
    [
      'a timestamp an hour old: 401 expired',
      signed(valid, { timestamp: nowSeconds - 3600 }),
      signedPolicy,
      { reason: 'signature_expired', signatureFailure: 'expired' },
    ],
    [
      'a signature by an unknown key: 401 mismatch',
      signed(valid, { keys: stranger }),
      signedPolicy,
      { outcome: 'unauthorized', reason: 'signature_mismatch', signatureFailure: 'mismatch' },
    ],
    [
      'a body changed after signing: 401 mismatch',
      { ...signed(valid), body: Buffer.from(valid.replace('buddy-system', 'buddy-systen')) },
      signedPolicy,
      { reason: 'signature_mismatch' },
    ],
    ['a key retired from the policy: 401 mismatch', signed(valid, { keys: retiring }), signedPolicy, { reason: 'signature_mismatch' }],
    [
      'malformed JSON: 400, logged by size and position only',
      signed('{"id": '),
      signedPolicy,
      { outcome: 'invalid', problem: { status: 400 }, reason: 'malformed_json', log: { body_bytes: 7, json_error_position: 7 } },
    ],
    ['an empty body: 400 malformed_json', signed(''), signedPolicy, { reason: 'malformed_json' }],
    [
      'a missing envelope field: 422 schema_invalid',
      signed(withEvent(({ source: _s, ...e }) => e)),
      signedPolicy,
      { outcome: 'invalid', problem: { status: 422, errors: [{ path: '/source' }] }, reason: 'schema_invalid' },
    ],
    [
      'an extra envelope field: 422 schema_invalid',
      signed(withEvent((e) => ({ ...e, admin: true }))),
      signedPolicy,
      { reason: 'schema_invalid', problem: { errors: [{ path: '/' }] } },
    ],
    [
      'a __proto__ key: 422 schema_invalid',
      signed(`{"__proto__":{"admin":true},${valid.slice(1)}`),
      signedPolicy,
      { reason: 'schema_invalid', problem: { errors: [{ path: '/' }] } },
    ],
    [
      'an id that is not a UUID: 422 schema_invalid',
      signed(
        withEvent((e) => ({ ...e, id: '1234' })),
        { id: '1234' },
      ),
      signedPolicy,
      { reason: 'schema_invalid', problem: { errors: [{ path: '/id' }] } },
    ],
    [
      'a missing data field: 422 schema_invalid',
      signed(withEvent((e) => ({ ...e, data: { ...(e.data as object), rating: undefined } }))),
      signedPolicy,
      { reason: 'schema_invalid', problem: { errors: [{ path: '/data/rating' }] } },
    ],
    [
      'an unknown type: 422 unknown_event_type',
      signed(withEvent((e) => ({ ...e, type: 'buddy.unknown.happened' }))),
      signedPolicy,
      { reason: 'unknown_event_type' },
    ],
    [
      'an unknown version: 422 unknown_event_version',
      signed(withEvent((e) => ({ ...e, version: 99 }))),
      signedPolicy,
      { reason: 'unknown_event_version' },
    ],
    [
      'a correctly signed webhook-id of another event: 400, naming the event',
      signed(valid, { id: '00000000-0000-4000-8000-000000000002' }),
      signedPolicy,
      { outcome: 'invalid', problem: { status: 400 }, reason: 'webhook_id_mismatch', event: { id: event.id, type: event.type } },
    ],
    [
      'a webhook-id of another event with validation off: 400',
      unsigned(valid, { 'webhook-id': randomUUID() }),
      unsignedPolicy,
      { reason: 'webhook_id_mismatch' },
    ],
  ];

  it.each(table)('%s', (_case, request, policy, expected) => {
    const result = acceptWebhook(request, policy);
    expect(result).toMatchObject({ kind: 'reject', ...expected });
    if (result.kind === 'reject') expect(result.problem.reason).toBe(result.reason);
  });

  it('quotes no body text in the detail or the log fields of malformed JSON', () => {
    const body = '{"notes": "PERSONAL-DETAIL about a participant", oops}';
    const result = acceptWebhook(signed(body), signedPolicy);
    expect(result).toMatchObject({ kind: 'reject', reason: 'malformed_json' });
    expect(JSON.stringify(result)).not.toContain('PERSONAL');
  });

  it('checks the headers before the body: an unsigned request with a broken body is 401, not 400', () => {
    expect(acceptWebhook(unsigned('{"id": '), signedPolicy)).toMatchObject({ reason: 'signature_missing' });
  });

  it('checks the signature before JSON: a bad signature on malformed JSON is 401', () => {
    expect(acceptWebhook(signed('{"id": ', { keys: stranger }), signedPolicy)).toMatchObject({ reason: 'signature_mismatch' });
  });
});

describe('acceptWebhook publishes', () => {
  const bothSignatures = signed(valid, { headers: { 'webhook-signature': sign([...retiring, ...current], event.id, nowSeconds, valid) } });
  // [case, request, policy]
  const table: [string, WebhookRequest, AcceptPolicy][] = [
    ['a signed event', signed(valid), signedPolicy],
    ['a JSON subtype', signed(valid, { headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' } }), signedPolicy],
    ['a timestamp at the edge of the window', signed(valid, { timestamp: nowSeconds - 300 }), signedPolicy],
    ['an unsigned event when validation is off', unsigned(valid), unsignedPolicy],
    ['an unsigned event with its own webhook-id when validation is off', unsigned(valid, { 'webhook-id': event.id }), unsignedPolicy],
    ['during a key rotation, an event signed with the old key', signed(valid, { keys: retiring }), rotating],
    ['during a key rotation, an event signed with the new key', signed(valid), rotating],
    ['an event signed with both keys, by a sender mid-rotation', bothSignatures, signedPolicy],
  ];

  it.each(table)('%s', (_case, request, policy) => {
    const result = acceptWebhook(request, policy);
    expect(result).toEqual({ kind: 'publish', event, body: request.body });
    // The bytes that were signed are the bytes published: no re-serialisation.
    if (result.kind === 'publish') expect(result.body).toBe(request.body);
  });
});

describe('a body the reader gave up on', () => {
  const table: [string, { type?: string; message: string }, Record<string, unknown>][] = [
    [
      'too large once streamed: 413',
      { type: 'entity.too.large', message: 'request entity too large' },
      { problem: { status: 413 }, reason: 'payload_too_large' },
    ],
    [
      'cut short: 400 unreadable_body',
      { type: 'request.aborted', message: 'request aborted' },
      { problem: { status: 400, detail: 'request aborted' }, reason: 'unreadable_body' },
    ],
  ];
  it.each(table)('%s', (_case, err, expected) => {
    expect(unreadableBody(err, 30_720)).toMatchObject({ kind: 'reject', outcome: 'invalid', ...expected });
  });
});
