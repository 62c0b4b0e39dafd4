import { describe, expect, it } from 'vitest';
import { retryLogLevel } from './retry-log.ts';

describe('retryLogLevel', () => {
  it.each([
    ['first failure', { attempts: 0, last_error: null }, { charged: true, reason: 'status_5xx' }, 'warn'],
    ['same reason again', { attempts: 2, last_error: 'status_5xx' }, { charged: true, reason: 'status_5xx' }, 'debug'],
    ['a new reason', { attempts: 2, last_error: 'status_5xx' }, { charged: true, reason: 'timeout' }, 'warn'],
    ['waiting for an open circuit', { attempts: 0, last_error: null }, { charged: false, reason: 'connection' }, 'debug'],
    [
      'after uncharged waits, the first charged failure',
      { attempts: 0, last_error: 'connection' },
      { charged: true, reason: 'connection' },
      'warn',
    ],
  ] as const)('%s → %s', (_case, before, retry, level) => expect(retryLogLevel(before, retry)).toBe(level));
});
