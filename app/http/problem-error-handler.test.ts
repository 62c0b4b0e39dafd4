import { describe, expect, it } from 'vitest';
import { problemForError } from './problem-error-handler.ts';

describe('errors as problems', () => {
  const table: [string, unknown, Record<string, unknown>][] = [
    [
      'a JSON body parser failure',
      Object.assign(new SyntaxError('Unexpected token s in "secret..."'), { status: 400, type: 'entity.parse.failed' }),
      { status: 400, reason: 'malformed_json' },
    ],
    ['a body over the parser limit', { status: 413, type: 'entity.too.large' }, { status: 413, reason: 'payload_too_large' }],
    ['an unsupported charset', { statusCode: 415, type: 'charset.unsupported' }, { status: 415, reason: 'unsupported_media_type' }],
    ['another client error', { status: 400, type: 'request.aborted' }, { status: 400, reason: 'bad_request' }],
    ['a bug', new TypeError('x is undefined'), { status: 500, reason: 'internal' }],
    ['a thrown string', 'boom', { status: 500, reason: 'internal' }],
    ['an error claiming a 3xx', { status: 302 }, { status: 500, reason: 'internal' }],
  ];
  it.each(table)('%s', (_case, err, expected) => {
    const problem = problemForError(err);
    expect(problem).toMatchObject(expected);
    // The message can quote the request body: it never goes back out.
    expect(JSON.stringify(problem)).not.toMatch(/secret|undefined|boom/);
  });
});
