import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventIdSource, eventIdTime, newEventId } from './event-id.ts';

describe('event ids (UUIDv7)', () => {
  it.each([
    ['the epoch', 0],
    ['a time in 2026', Date.parse('2026-12-01T03:00:00.123Z')],
    ['the largest 48-bit millisecond', 2 ** 48 - 1],
  ])('carry the millisecond they were made in: %s', (_name, ms) => {
    const id = eventIdSource()(ms);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventIdTime(id)).toBe(ms);
  });

  it('are UUIDs to the envelope schema', () => {
    expect(z.uuid().safeParse(newEventId()).success).toBe(true);
  });

  it('sort in the order they were made, within a millisecond and across many', () => {
    const at = Date.parse('2026-12-01T00:00:00Z') + 10_000_000;
    const ids = [...Array.from({ length: 5000 }, () => newEventId(at)), ...Array.from({ length: 10 }, (_, i) => newEventId(at + 2 + i))];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('differ in their random part', () => {
    const next = eventIdSource();
    const a = next(Date.parse('2030-01-01T00:00:00Z'));
    const b = next(Date.parse('2030-01-01T00:00:01Z'));
    expect(a.slice(19)).not.toBe(b.slice(19));
  });
});
