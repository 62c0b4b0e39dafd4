import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonPointer, zodIssuesToErrors } from './zod-issues.ts';

const schema = z.strictObject({
  id: z.uuid(),
  data: z.strictObject({ rating: z.int().min(1), tags: z.array(z.string()) }),
  'a/b~c': z.string().optional(),
});

function errorsOf(input: unknown, prefix?: PropertyKey[]) {
  const result = schema.safeParse(input);
  if (result.success) throw new Error('expected a failure');
  return zodIssuesToErrors(result.error.issues, prefix);
}

const valid = { id: '0b7d9c4e-1f5a-4c39-9a8e-2d7f3b6c1e40', data: { rating: 3, tags: [] } };

describe('zodIssuesToErrors', () => {
  it.each([
    { name: 'a top-level field', input: { ...valid, id: '1234' }, prefix: undefined, paths: ['/id'] },
    { name: 'a nested field', input: { ...valid, data: { rating: 0, tags: [] } }, prefix: undefined, paths: ['/data/rating'] },
    { name: 'an array element', input: { ...valid, data: { rating: 3, tags: ['ok', 7] } }, prefix: undefined, paths: ['/data/tags/1'] },
    { name: 'the document itself', input: 'not an object', prefix: undefined, paths: ['/'] },
    { name: 'under a prefix', input: { ...valid, id: '1234' }, prefix: ['envelope'], paths: ['/envelope/id'] },
    { name: 'a key with / and ~ (escaped as RFC 6901 says)', input: { ...valid, 'a/b~c': 1 }, prefix: undefined, paths: ['/a~1b~0c'] },
    {
      name: 'every failing field, in order',
      input: { id: 1, data: { rating: 'x', tags: 'y' } },
      prefix: undefined,
      paths: ['/id', '/data/rating', '/data/tags'],
    },
  ])('$name', ({ input, prefix, paths }) => {
    expect(errorsOf(input, prefix).map((e) => e.path)).toEqual(paths);
  });

  it('names the extra keys of a strict object, reported at the object', () => {
    const [error] = errorsOf({ ...valid, admin: true, role: 'x' });
    expect(error).toEqual({ path: '/', message: expect.stringMatching(/\(admin, role\)$/) });
  });

  it('keeps zod’s message', () => {
    const errors = errorsOf({ ...valid, data: { rating: 0, tags: [] } });
    expect(errors).toEqual([{ path: '/data/rating', message: expect.stringMatching(/>=\s*1/) }]);
  });
});

describe('jsonPointer', () => {
  it.each([
    [[], '/'],
    [['a'], '/a'],
    [['a', 0, 'b'], '/a/0/b'],
    [['x/y'], '/x~1y'],
    [['~1'], '/~01'],
  ] as [PropertyKey[], string][])('%j is %s', (path, pointer) => {
    expect(jsonPointer(path)).toBe(pointer);
  });
});
