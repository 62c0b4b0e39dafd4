import { describe, expect, it } from 'vitest';
import { afterAttempt, type BreakerPolicy, type BreakerState, CLOSED, isEndpointFailure, permission, startProbe } from './circuit-breaker.ts';
import type { AttemptResult } from './retry-policy.ts';

const policy: BreakerPolicy = { failureThreshold: 3, probeIntervalMs: 1000, maxProbeIntervalMs: 4000 };
const ok: AttemptResult = { kind: 'response', status: 202 };
const down: AttemptResult = { kind: 'connection', message: 'ECONNREFUSED' };

/** Feeds (event id, result) pairs in order from CLOSED, one millisecond apart. */
const run = (steps: [string, AttemptResult][], from: BreakerState = CLOSED) => steps.reduce((s, [id, r], i) => afterAttempt(s, id, r, i, policy), from);

describe('which answers are the endpoint\'s failure', () => {
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
    ['stays closed below the threshold', [['a', down], ['b', down]], 'closed'],
    ['opens when distinct events fail in a row', [['a', down], ['b', down], ['c', down]], 'open'],
    ['never opens on one poison event failing again and again', [['a', down], ['a', down], ['a', down], ['a', down]], 'closed'],
    ['a success in between resets the count', [['a', down], ['b', down], ['c', ok], ['d', down], ['e', down]], 'closed'],
    ['a 4xx shows the endpoint is up', [['a', down], ['b', down], ['c', { kind: 'response', status: 400 }], ['d', down]], 'closed'],
  ];
  it.each(table)('%s', (_case, steps, status) => {
    expect(run(steps).status).toBe(status);
  });

  it('waits, probes with one event, and backs off 1, 2, 4, 4 s while the probe keeps failing', () => {
    let s = run([['a', down], ['b', down], ['c', down]]);
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
    let s = run([['a', down], ['b', down], ['c', down]]);
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
