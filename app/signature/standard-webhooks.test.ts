import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { checkSignatureHeaders, decodeSecret, parseSecrets, sign, signatureHeaders, verify, verifyBody } from './standard-webhooks.ts';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const keys = parseSecrets(secret);
const id = 'msg_2b3c';
const body = JSON.stringify({ hello: 'world', n: 1 });
const now = 1_750_000_000;

function request(headers: Record<string, string>, payload = body) {
  return {
    id: headers['webhook-id'],
    timestamp: headers['webhook-timestamp'],
    signature: headers['webhook-signature'],
    body: Buffer.from(payload),
  };
}

describe('sign and verify', () => {
  it('verifies what it signs', () => {
    expect(verify(keys, request(signatureHeaders(keys, id, now, body)), now)).toEqual({ ok: true });
  });

  it('rejects a changed body, id or timestamp as a mismatch', () => {
    const headers = signatureHeaders(keys, id, now, body);
    expect(verify(keys, request(headers, `${body} `), now)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verify(keys, request({ ...headers, 'webhook-id': 'other' }), now)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verify(keys, request({ ...headers, 'webhook-timestamp': String(now + 1) }), now)).toMatchObject({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('rejects a signature made with another secret', () => {
    const other = parseSecrets(`whsec_${randomBytes(32).toString('base64')}`);
    expect(verify(keys, request(signatureHeaders(other, id, now, body)), now)).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  it('names missing headers', () => {
    const result = verify(keys, { id, timestamp: undefined, signature: undefined, body: Buffer.from(body) }, now);
    expect(result).toMatchObject({ ok: false, reason: 'missing' });
    expect(!result.ok && result.detail).toContain('webhook-timestamp');
  });

  it.each([
    ['no comma', 'v1abc'],
    ['bad base64', 'v1,@@@'],
    ['only unknown versions', 'v9,abcd'],
  ])('rejects a malformed signature (%s)', (_name, signature) => {
    expect(verify(keys, { id, timestamp: String(now), signature, body: Buffer.from(body) }, now)).toMatchObject({
      ok: false,
      reason: 'malformed',
    });
  });

  it('rejects a non-numeric timestamp as malformed', () => {
    const headers = signatureHeaders(keys, id, now, body);
    expect(verify(keys, request({ ...headers, 'webhook-timestamp': '2026-01-01' }), now)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('accepts timestamps inside ±5 minutes and rejects those outside as expired', () => {
    const headers = signatureHeaders(keys, id, now, body);
    expect(verify(keys, request(headers), now + 300)).toEqual({ ok: true });
    expect(verify(keys, request(headers), now - 300)).toEqual({ ok: true });
    expect(verify(keys, request(headers), now + 301)).toMatchObject({ ok: false, reason: 'expired' });
    expect(verify(keys, request(headers), now - 301)).toMatchObject({ ok: false, reason: 'expired' });
  });
});

describe('key rotation', () => {
  const oldSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const newSecret = `whsec_${randomBytes(24).toString('base64')}`;

  it('signs with every configured secret, space-separated', () => {
    const header = sign(parseSecrets(`${oldSecret} ${newSecret}`), id, now, body);
    expect(header.split(' ')).toHaveLength(2);
    expect(header.split(' ').every((s) => s.startsWith('v1,'))).toBe(true);
  });

  it('a receiver with only the new secret accepts a sender that signs with both', () => {
    const headers = signatureHeaders(parseSecrets(`${oldSecret} ${newSecret}`), id, now, body);
    expect(verify(parseSecrets(newSecret), request(headers), now)).toEqual({ ok: true });
    expect(verify(parseSecrets(oldSecret), request(headers), now)).toEqual({ ok: true });
  });

  it('a receiver with both secrets accepts a sender that has moved to the new one', () => {
    const headers = signatureHeaders(parseSecrets(newSecret), id, now, body);
    expect(verify(parseSecrets(`${oldSecret} ${newSecret}`), request(headers), now)).toEqual({ ok: true });
  });
});

describe('interoperability with the standardwebhooks package', () => {
  const wh = new Webhook(secret);
  const nowSeconds = Math.floor(Date.now() / 1000);

  it('their signature passes our verify', () => {
    const signature = wh.sign(id, new Date(nowSeconds * 1000), body);
    expect(verify(keys, { id, timestamp: String(nowSeconds), signature, body: Buffer.from(body) }, nowSeconds)).toEqual({ ok: true });
  });

  it('our signature passes their verify', () => {
    const headers = signatureHeaders(keys, id, nowSeconds, body);
    expect(() => wh.verify(body, headers)).not.toThrow();
  });

  it('their verify rejects our signature over a different body', () => {
    const headers = signatureHeaders(keys, id, nowSeconds, body);
    expect(() => wh.verify(`${body}x`, headers)).toThrow();
  });

  it('their verify accepts our rotation header with the matching key second', () => {
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    const headers = signatureHeaders(parseSecrets(`${other} ${secret}`), id, nowSeconds, body);
    expect(() => wh.verify(body, headers)).not.toThrow();
  });
});

describe('secrets', () => {
  it('requires the whsec_ prefix, base64, and at least 16 bytes', () => {
    expect(() => decodeSecret('abc')).toThrow(/whsec_/);
    expect(() => decodeSecret('whsec_***')).toThrow(/base64/);
    expect(() => decodeSecret(`whsec_${Buffer.from('short').toString('base64')}`)).toThrow(/16 bytes/);
    expect(decodeSecret(secret)).toHaveLength(32);
  });
});

describe('headers first, body second', () => {
  it('checks presence, form and the window without the body, then the HMAC with it', () => {
    const headers = signatureHeaders(keys, id, now, body);
    const checked = checkSignatureHeaders(
      { id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'] },
      now,
    );
    if (!checked.ok) throw new Error('expected the headers to pass');
    expect(verifyBody(keys, checked.headers, Buffer.from(body))).toEqual({ ok: true });
    expect(verifyBody(keys, checked.headers, Buffer.from(`${body} `))).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(
      checkSignatureHeaders(
        { ...headers, id: undefined, timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'] },
        now,
      ),
    ).toMatchObject({ ok: false, reason: 'missing' });
    expect(checkSignatureHeaders({ id, timestamp: String(now - 301), signature: headers['webhook-signature'] }, now)).toMatchObject({
      ok: false,
      reason: 'expired',
    });
  });
});
