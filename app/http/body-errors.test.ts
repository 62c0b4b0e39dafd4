// A bad body is described by its size and where it stops being JSON, never by its text.
import { describe, expect, it } from 'vitest';
import { describeBodyError, describeMalformedJson, jsonSyntaxErrorAt } from './body-errors.ts';

const MARKER = 'PERSONAL-DATA-MARKER';

describe('where a text stops being JSON', () => {
  it.each([
    ['{"a":1}', -1],
    ['[1,2,{"b":[true,false,null,"x\\n\\u00e9"]}]', -1],
    [' 1 ', -1],
    ['{}', -1],
    ['[[],{}]', -1],
    ['', 0],
    [MARKER, 0],
    [`{"a": ${MARKER}}`, 6],
    ['{"a":1', 6],
    ['{"a":1}x', 7],
    ['{a:1}', 1],
    ['{"a":"x\ny"}', 7],
    ['[1,]', 3],
    ['[1 2]', 3],
    ['{"a" 1}', 5],
    ['{"a":1,}', 7],
    ['01', 1],
    ['tru', 0],
    ['[', 1],
    ['{"a":[1,{"b":2}]],"c":"d"}', 16],
    ['"unterminated', 13],
  ])('%j → %i', (text, expected) => {
    expect(jsonSyntaxErrorAt(text)).toBe(expected);
  });

  it('agrees with V8 wherever V8 names a position', () => {
    const texts = ['{"a":1', '{"a":1}x', '{a:1}', '{"a":"x\ny"}', '[1 2]', '{"a" 1}', '{"a":1,}', '01', `{"x":"${MARKER.repeat(3)}" junk}`];
    for (const text of texts) {
      const message = (() => {
        try {
          JSON.parse(text);
        } catch (err) {
          return (err as Error).message;
        }
      })();
      expect([text, jsonSyntaxErrorAt(text)]).toEqual([text, Number(/at position (\d+)/.exec(message ?? '')?.[1])]);
    }
  });

  it('reads a 256 KiB body in one pass', () => {
    const text = `{"data":{"note":"${'x'.repeat(256 * 1024)}"}`;
    const started = performance.now();
    expect(jsonSyntaxErrorAt(text)).toBe(text.length);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('what a log line and a problem may say about a bad body', () => {
  it('malformed JSON: size and position, not the text V8 quotes', () => {
    const body = `{"data":{"note":"${MARKER}" ${MARKER}}}`;
    const described = describeMalformedJson(Buffer.from(body));
    expect(described.log).toEqual({ body_bytes: Buffer.byteLength(body), json_error_position: body.indexOf(` ${MARKER}}`) + 1 });
    expect(JSON.stringify(described)).not.toContain(MARKER);
  });

  it.each([
    [
      'a body-parser parse error',
      { type: 'entity.parse.failed', status: 400, message: `Unexpected token 'P', "${MARKER}" is not valid JSON`, body: MARKER },
      { body_bytes: MARKER.length, json_error_position: 0 },
    ],
    [
      'an oversized body',
      { type: 'entity.too.large', status: 413, message: 'request entity too large', length: 300_000, limit: 262_144 },
      { body_bytes: 300_000, limit_bytes: 262_144 },
    ],
    [
      'an unsupported charset',
      { type: 'charset.unsupported', status: 415, message: 'unsupported charset "UTF-7"' },
      { error_type: 'charset.unsupported', error: 'unsupported charset "UTF-7"' },
    ],
  ])('%s', (_what, err, log) => {
    const described = describeBodyError(err);
    expect(described.log).toEqual(log);
    expect(JSON.stringify(described)).not.toContain(MARKER);
  });
});
