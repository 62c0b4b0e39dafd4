// No body in any log: the redaction paths are the net under every log call.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

const MARKER = 'PERSONAL-DATA-MARKER';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger('test', 'debug', destination), lines };
}

describe('log redaction', () => {
  // body-parser keeps the raw text of a body it could not parse on the error it throws.
  const parseError = Object.assign(new SyntaxError('Unexpected token'), {
    type: 'entity.parse.failed',
    status: 400,
    body: `{"note":"${MARKER}"`,
  });
  it.each<[string, Record<string, unknown>]>([
    ['a body field', { body: MARKER }],
    ['a raw body', { rawBody: Buffer.from(MARKER).toString() }],
    ['a request with its body', { req: { method: 'POST', body: { note: MARKER } } }],
    ['a body-parser error (err.body)', { err: parseError }],
    ['an event with its data', { event: { id: 'e-1', type: 'buddy.checkin.completed', data: { note: MARKER } } }],
    ['a payload', { payload: MARKER }],
  ])('%s', (_what, fields) => {
    const { logger, lines } = capture();
    logger.warn(fields, 'request failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(MARKER);
    expect(lines[0]).toContain('[redacted]');
  });

  it('keeps what an operator needs: ids, reasons, sizes', () => {
    const { logger, lines } = capture();
    logger.warn(
      { event: { id: 'e-1', type: 'buddy.checkin.completed' }, reason: 'malformed_json', body_bytes: 12, json_error_position: 3 },
      'request failed',
    );
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: { id: 'e-1' }, reason: 'malformed_json', body_bytes: 12, json_error_position: 3 });
  });
});
