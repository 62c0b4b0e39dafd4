import { describe, expect, it } from 'vitest';
import { createGatewayRotation } from './gateway-rotation.ts';

describe('gateway rotation', () => {
  it('sends first attempts to the preferred gateway and retries to the next', () => {
    const r = createGatewayRotation(['a', 'b', 'c']);
    expect([1, 2, 3, 4].map((n) => r.urlFor(n))).toEqual(['a', 'b', 'c', 'a']);
  });

  it('moves the preference once per dead gateway, however many attempts failed there', () => {
    const r = createGatewayRotation(['a', 'b']);
    for (let i = 0; i < 5; i++) r.reportFailure('a');
    expect(r.urlFor(1)).toBe('b');
    r.reportFailure('a'); // a late failure from an attempt still in flight
    expect(r.urlFor(1)).toBe('b');
    r.reportFailure('b');
    expect(r.urlFor(1)).toBe('a');
  });

  it('with one gateway, always uses it', () => {
    const r = createGatewayRotation(['only']);
    r.reportFailure('only');
    expect([r.urlFor(1), r.urlFor(2)]).toEqual(['only', 'only']);
  });
});
