import { describe, expect, it } from 'vitest';
import {
  afterAttempt,
  type BreakerPolicy,
  type BreakerState,
  CLOSED,
  isEndpointFailure,
  notNowDelayMs,
  permission,
  startProbe,
} from './circuit-breaker.ts';
import type { AttemptResult } from './retry-policy.ts';

const policy: BreakerPolicy = { failureThreshold: 3, probeIntervalMs: 1000, maxProbeIntervalMs: 4000, maxPauseMs: 60_000 };
const ok: AttemptResult = { kind: 'response', status: 202 };
const down: AttemptResult = { kind: 'connection', message: 'ECONNREFUSED' };

/** Feeds (event id, result) pairs in order from CLOSED, one millisecond apart. */
const run = (steps: [string, AttemptResult][], from: BreakerState = CLOSED) =>
  steps.reduce((s, [id, r], i) => afterAttempt(s, id, r, i, policy), from);

describe("which answers are the endpoint's failure", () => {
  it.each([
    [{ kind: 'connection', message: 'x' }, true],
    [{ kind: 'timeout' }, true],
    [{ kind: 'response', status: 503 }, true],
    [{ kind: 'response', status: 429 }, true],
    [{ kind: 'response', status: 422 }, false],
    [{ kind: 'response', status: 202 }, false],
  ] as [AttemptResult, boolean][])('%o → %s', (result, expected) => {
    expect(isEndpointFailure(result)).toBe(expected);
  });
});

describe('circuit breaker', () => {
  const table: [string, [string, AttemptResult][], BreakerState['status']][] = [
    [
      'stays closed below the threshold',
      [
        ['a', down],
        ['b', down],
      ],
      'closed',
    ],
    [
      'opens when distinct events fail in a row',
      [
        ['a', down],
        ['b', down],
        ['c', down],
      ],
      'open',
    ],
    [
      'never opens on one poison event failing again and again',
      [
        ['a', down],
        ['a', down],
        ['a', down],
        ['a', down],
      ],
      'closed',
    ],
    [
      'a success in between resets the count',
      [
        ['a', down],
        ['b', down],
        ['c', ok],
        ['d', down],
        ['e', down],
      ],
      'closed',
    ],
    [
      'a 4xx shows the endpoint is up',
      [
        ['a', down],
        ['b', down],
        ['c', { kind: 'response', status: 400 }],
        ['d', down],
      ],
      'closed',
    ],
  ];
  it.each(table)('%s', (_case, steps, status) => {
    expect(run(steps).status).toBe(status);
  });

  it('waits, probes with one event, and backs off 1, 2, 4, 4 s while the probe keeps failing', () => {
    let s = run([
      ['a', down],
      ['b', down],
      ['c', down],
    ]);
    expect(s).toMatchObject({ status: 'open', probeAt: 2 + 1000 });
    const waits: number[] = [];
    let t = 2;
    for (let probe = 0; probe < 4; probe++) {
      expect(permission(s, t)).toMatchObject({ kind: 'wait' });
      const at = (s as { probeAt: number }).probeAt;
      waits.push(at - t);
      t = at;
      expect(permission(s, t)).toEqual({ kind: 'probe' });
      s = startProbe(s, `probe${probe}`);
      // While the probe is out, nothing else goes.
      expect(permission(s, t)).toMatchObject({ kind: 'wait' });
      s = afterAttempt(s, `probe${probe}`, down, t, policy);
    }
    expect(waits).toEqual([1000, 2000, 4000, 4000]);
  });

  it('closes when the probe is answered, and ignores late failures of attempts sent before it opened', () => {
    let s = run([
      ['a', down],
      ['b', down],
      ['c', down],
    ]);
    s = afterAttempt(s, 'late', down, 10, policy);
    expect(s.status).toBe('open');
    s = startProbe(s, 'p');
    s = afterAttempt(s, 'other', down, 1500, policy);
    expect(s.status).toBe('half_open');
    s = afterAttempt(s, 'p', ok, 1600, policy);
    expect(s).toEqual(CLOSED);
    expect(permission(s, 1600)).toEqual({ kind: 'send' });
  });
});

describe('"not now" from the endpoint', () => {
  const r = (status: number, retryAfter?: string): AttemptResult => ({ kind: 'response', status, retryAfter });
  it.each([
    ['429 with Retry-After 5', r(429, '5'), 5000],
    ['429 without Retry-After', r(429), 1000],
    ['429 with an unparsable Retry-After', r(429, 'soon'), 1000],
    ['429 asking for an hour: the cap', r(429, '3600'), 60_000],
    ['503 with Retry-After', r(503, '5'), 5000],
    ['503 without Retry-After: a failure, not "not now"', r(503), null],
    ['500 with Retry-After: a failure', r(500, '5'), null],
    ['202', r(202), null],
    ['a timeout', { kind: 'timeout' } as AttemptResult, null],
  ] as [string, AttemptResult, number | null][])('%s → %s', (_case, result, expected) => {
    expect(notNowDelayMs(result, 0, 60_000)).toBe(expected);
  });

  it('pauses delivery for the Retry-After without opening the circuit, however many events hear it', () => {
    let s: BreakerState = CLOSED;
    for (const id of ['a', 'b', 'c', 'd', 'e']) s = afterAttempt(s, id, r(429, '2'), 100, policy);
    expect(s).toMatchObject({ status: 'closed', pausedUntil: 2100 });
    expect(permission(s, 2099)).toEqual({ kind: 'wait', until: 2100 });
    expect(permission(s, 2100)).toEqual({ kind: 'send' });
  });

  it('keeps the pause when an answer to an earlier request arrives, and lets it lapse on time', () => {
    let s = afterAttempt(CLOSED, 'a', r(429, '2'), 0, policy);
    s = afterAttempt(s, 'b', r(202), 10, policy);
    expect(permission(s, 10)).toEqual({ kind: 'wait', until: 2000 });
    s = afterAttempt(s, 'c', r(202), 2500, policy);
    expect(s).toEqual(CLOSED);
  });

  it('closes the circuit when the probe is told "not now" (the endpoint is up), paused for the wait', () => {
    let s = run([
      ['a', down],
      ['b', down],
      ['c', down],
    ]);
    s = startProbe(s, 'p');
    s = afterAttempt(s, 'p', r(503, '3'), 1500, policy);
    expect(s).toEqual({ status: 'closed', failingEvents: [], pausedUntil: 4500 });
  });

  it("pushes an open circuit's probe back to the Retry-After", () => {
    const open = run([
      ['a', down],
      ['b', down],
      ['c', down],
    ]);
    expect(afterAttempt(open, 'late', r(429, '10'), 5, policy)).toMatchObject({ status: 'open', probeAt: 10_005 });
  });
});
