import { describe, expect, it } from 'vitest';
import { afterResend, type CreateResult } from './publisher-client.ts';

const id = 'evt_1';
const reset: CreateResult = { ok: false, id, errorKind: 'connection' };

describe('a call sent again after a reset on a reused socket', () => {
  it.each<[string, CreateResult, CreateResult]>([
    ['accepted the second time', { ok: true, id, status: 202, duplicate: false }, { ok: true, id, status: 202, duplicate: false }],
    [
      'a repeat of an event the first try created',
      { ok: true, id, status: 200, duplicate: true },
      { ok: true, id, status: 200, duplicate: true },
    ],
    // The publisher may have committed the first try and died: a refusal now proves nothing.
    ['refused the second time', { ok: false, id, errorKind: 'refused' }, reset],
    ['answered 4xx the second time', { ok: false, id, status: 400, errorKind: 'http_4xx' }, reset],
    ['timed out the second time', { ok: false, id, errorKind: 'timeout' }, reset],
  ])('%s', (_name, second, expected) => {
    expect(afterResend(reset, second)).toEqual(expected);
  });
});
