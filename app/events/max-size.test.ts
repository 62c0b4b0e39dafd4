import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BUDDY_EVENT_TYPES, knownVersions } from './buddy-events.ts';
import { validateEvent } from './envelope.ts';
import { COSTLIEST_EVENTS, costliestEvent, costliestValue, MAX_EVENT_BYTES } from './max-size.ts';

describe('the largest valid event', () => {
  it('is computed for every type and version, and each costliest event is valid', () => {
    expect(COSTLIEST_EVENTS).toHaveLength(BUDDY_EVENT_TYPES.reduce((n, t) => n + knownVersions(t).length, 0));
    for (const { type, version } of COSTLIEST_EVENTS) {
      const result = validateEvent(JSON.parse(JSON.stringify(costliestEvent(type, version))));
      expect(result.ok, `${type} v${version}`).toBe(true);
    }
  });

  it('is the feedback event, its 4,000-character comment at six bytes a character', () => {
    const largest = COSTLIEST_EVENTS.find((e) => e.bytes === MAX_EVENT_BYTES)!;
    expect(largest.type).toBe('buddy.feedback.submitted');
    expect(MAX_EVENT_BYTES).toBeGreaterThan(4000 * 6);
    expect(MAX_EVENT_BYTES).toBeLessThan(32 * 1024);
  });

  it('outweighs the same event written with any other character', () => {
    const event = costliestEvent('buddy.feedback.submitted', 1) as { data: { comment: string } };
    for (const c of ['x', 'é', '€', '😀', '"', '\n']) {
      const comment = c.repeat(Math.floor(4000 / c.length));
      expect(Buffer.byteLength(JSON.stringify({ ...event, data: { ...event.data, comment } }))).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    }
  });

  it('refuses a string without a max(), which would make every size a valid size', () => {
    expect(() => costliestValue(z.strictObject({ note: z.string() }))).toThrow(/\/note: give it a max\(\)/);
  });
});
