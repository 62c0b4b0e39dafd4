// The raw load generator's two decisions: what it sends (a valid, signed, unique event) and when a
// response on the wire is complete.
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../app/events/envelope.ts';
import { decodeSecret, parseSecrets, verify } from '../../app/signature/standard-webhooks.ts';
import { buddyEnvelope } from '../load/event-factory.ts';
import { buildRequest, completeResponse, ID_PLACEHOLDER } from './raw-load.ts';

const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const bodyTemplate = JSON.stringify({ ...buddyEnvelope(3), id: ID_PLACEHOLDER });
const headersOf = (head: string) =>
  Object.fromEntries(
    head
      .trim()
      .split('\r\n')
      .map((l) => l.split(': ') as [string, string]),
  );

describe('buildRequest', () => {
  it('builds valid events with unique ids, signed so that the gateway accepts them', () => {
    const now = Date.now();
    const ids = new Set<string>();
    for (const n of [0, 1, 4095, 4096, 65_535, 65_536, 2 ** 31]) {
      const { head, body } = buildRequest(n, 0x0abcdef1, { bodyTemplate, signingKey: decodeSecret(secret) }, now);
      const parsed = validateEvent(JSON.parse(body));
      expect(parsed.ok, body).toBe(true);
      const h = headersOf(head);
      expect(Number(h['content-length'])).toBe(Buffer.byteLength(body));
      const result = verify(
        parseSecrets(secret),
        { id: h['webhook-id'], timestamp: h['webhook-timestamp'], signature: h['webhook-signature'], body: Buffer.from(body) },
        Math.floor(now / 1000),
      );
      expect(result).toEqual({ ok: true });
      ids.add(h['webhook-id']!);
    }
    expect(ids.size).toBe(7);
  });

  it.each([
    ['bad-signature', 'mismatch'],
    ['no-signature', 'missing'],
  ] as const)('spoils the request on purpose: %s', (variant, reason) => {
    const now = Date.now();
    const { head, body } = buildRequest(1, 1, { bodyTemplate, signingKey: decodeSecret(secret), variant }, now);
    const h = headersOf(head);
    const result = verify(
      parseSecrets(secret),
      { id: h['webhook-id'], timestamp: h['webhook-timestamp'], signature: h['webhook-signature'], body: Buffer.from(body) },
      Math.floor(now / 1000),
    );
    expect(result).toMatchObject({ ok: false, reason });
  });
});

describe('completeResponse', () => {
  const response = 'HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{"a":1}'.replace(
    '{"a":1}',
    '12345',
  );
  it.each([
    ['nothing yet', '', undefined],
    ['headers cut short', response.slice(0, 20), undefined],
    ['body cut short', response.slice(0, -1), undefined],
    ['complete', response, { length: response.length, status: 202 }],
    ['complete, and the next one begun', `${response}HTTP/1.1 4`, { length: response.length, status: 202 }],
    ['no body', 'HTTP/1.1 204 No Content\r\n\r\n', { length: 27, status: 204 }],
    ['chunked, cut short', 'HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n', undefined],
    ['chunked', 'HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n0\r\n\r\nHTTP', { length: 68, status: 202 }],
  ])('%s', (_what, wire, expected) => {
    expect(completeResponse(Buffer.from(wire, 'latin1'))).toEqual(expected);
  });
});
