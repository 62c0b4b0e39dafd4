import { describe, expect, it } from 'vitest';
import { readPubAck } from './pub-ack.ts';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('readPubAck', () => {
  it('a PubAck is the sequence, and whether JetStream already held the msg id', () => {
    expect(readPubAck(0, json({ stream: 'S', seq: 7 }))).toEqual({ ok: true, result: { duplicate: false, sequence: 7 } });
    expect(readPubAck(0, json({ stream: 'S', seq: 7, duplicate: true }))).toEqual({ ok: true, result: { duplicate: true, sequence: 7 } });
  });

  it('the 503 status without a body is no_responders: no stream listens on the subject', () => {
    expect(readPubAck(503, new Uint8Array())).toMatchObject({ ok: false, reason: 'no_responders' });
  });

  it('an API error is api_error and keeps its code and description', () => {
    const outcome = readPubAck(0, json({ error: { code: 400, err_code: 10060, description: 'expected stream does not match' } }));
    expect(outcome).toEqual({ ok: false, reason: 'api_error', message: 'expected stream does not match (err_code 10060, status 400)' });
  });

  it('JetStream not enabled for the account is no_responders, as the client library reported it', () => {
    const outcome = readPubAck(0, json({ error: { code: 503, err_code: 10039, description: 'jetstream not enabled for account' } }));
    expect(outcome).toMatchObject({ ok: false, reason: 'no_responders' });
  });

  it.each([
    { name: 'not JSON', status: 0, data: new TextEncoder().encode('+OK') },
    { name: 'another status', status: 408, data: new Uint8Array() },
    { name: 'no stream', status: 0, data: json({ seq: 1 }) },
    { name: 'no sequence', status: 0, data: json({ stream: 'S' }) },
  ])('anything else is unknown ($name)', ({ status, data }) => {
    expect(readPubAck(status, data)).toMatchObject({ ok: false, reason: 'unknown' });
  });
});
