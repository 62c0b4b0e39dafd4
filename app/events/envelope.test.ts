import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buddyEnvelope } from '../../harness/load/event-factory.ts';
import { BUDDY_EVENT_TYPES, knownVersions } from './buddy-events.ts';
import { subjectFor, validateEvent } from './envelope.ts';

const valid = () => buddyEnvelope(3); // buddy.feedback.submitted v1

function failure(input: unknown) {
  const result = validateEvent(input);
  if (result.ok) throw new Error('expected a validation failure');
  return result.failure;
}

describe('event envelope', () => {
  it('has at least five versioned Buddy event types', () => {
    expect(BUDDY_EVENT_TYPES.length).toBeGreaterThanOrEqual(5);
    for (const type of BUDDY_EVENT_TYPES) expect(knownVersions(type).length).toBeGreaterThan(0);
  });

  it('accepts a valid event of every type', () => {
    for (let i = 0; i < 5; i++) expect(validateEvent(buddyEnvelope(i)).ok).toBe(true);
  });

  it.each(['id', 'type', 'version', 'occurredAt', 'source', 'data', 'metadata'])('requires %s', (field) => {
    const event: Record<string, unknown> = valid();
    delete event[field];
    const f = failure(event);
    expect(f.reason).toBe('schema_invalid');
    expect(f.errors.map((e) => e.path)).toContain(`/${field}`);
  });

  it('requires metadata.correlationId and rejects unknown metadata', () => {
    expect(failure({ ...valid(), metadata: {} }).errors.map((e) => e.path)).toContain('/metadata/correlationId');
    expect(failure({ ...valid(), metadata: { correlationId: 'c', color: 'red' } }).errors[0]!.message).toContain('color');
  });

  it('accepts the optional metadata fields', () => {
    expect(validateEvent({ ...valid(), metadata: { correlationId: 'c', causationId: 'x', actorId: 'u1', tenantId: 't' } }).ok).toBe(true);
  });

  it('rejects a bad UUID, a non-ISO timestamp and a fractional version', () => {
    const f = failure({ ...valid(), id: 'not-a-uuid', occurredAt: 'yesterday', version: 1.5 });
    expect(f.errors.map((e) => e.path).sort()).toEqual(['/id', '/occurredAt', '/version']);
  });

  it('rejects extra top-level fields', () => {
    expect(failure({ ...valid(), extra: true }).errors[0]).toMatchObject({ path: '/' });
  });

  it('rejects __proto__ keys instead of letting them through', () => {
    const polluted = JSON.parse(`{"__proto__": {"admin": true}, ${JSON.stringify(valid()).slice(1)}`);
    expect(failure(polluted).errors[0]!.message).toContain('__proto__');
    const inData = JSON.parse(JSON.stringify(valid()).replace('"feedbackId"', '"__proto__":{"x":1},"feedbackId"'));
    expect(failure(inData).errors[0]!.path).toBe('/data');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('rejects an unknown type with its reason and the known types', () => {
    const f = failure({ ...valid(), type: 'buddy.match.exploded' });
    expect(f.reason).toBe('unknown_event_type');
    expect(f.detail).toContain('buddy.match.created');
  });

  it.each([
    [
      'type unknown, metadata missing',
      { ...valid(), type: 'buddy.match.exploded', metadata: undefined },
      'unknown_event_type',
      ['/type', '/metadata'],
    ],
    ['type unknown, everything else missing', { type: 'nope' }, 'unknown_event_type', ['/type', '/id']],
    ['type known, metadata missing', { ...valid(), metadata: undefined }, 'schema_invalid', ['/metadata']],
    ['type not a string', { ...valid(), type: 42 }, 'schema_invalid', ['/type']],
    ['type empty', { ...valid(), type: '' }, 'unknown_event_type', ['/type']],
  ])('puts the most useful error first: %s', (_case, input, reason, firstPaths) => {
    const f = failure(JSON.parse(JSON.stringify(input)));
    expect(f.reason).toBe(reason);
    expect(f.errors.map((e) => e.path).slice(0, firstPaths.length)).toEqual(firstPaths);
  });

  it('does not treat Object.prototype names as event types', () => {
    expect(failure({ ...valid(), type: 'constructor' }).reason).toBe('unknown_event_type');
    expect(failure({ ...valid(), type: 'toString' }).reason).toBe('unknown_event_type');
  });

  it('rejects an unknown version of a known type with its reason', () => {
    const f = failure({ ...valid(), version: 7 });
    expect(f.reason).toBe('unknown_event_version');
    expect(f.detail).toContain('Known versions: 1');
  });

  it('validates data against the schema of the given version', () => {
    const created = buddyEnvelope(0); // buddy.match.created v2 with matchScore
    expect(validateEvent(created).ok).toBe(true);
    // v1 does not know matchScore; v2 requires it.
    expect(failure({ ...created, version: 1 }).errors[0]!.message).toContain('matchScore');
    const { matchScore: _drop, ...v1Data } = created.data as Record<string, unknown>;
    expect(validateEvent({ ...created, version: 1, data: v1Data }).ok).toBe(true);
    expect(failure({ ...created, data: v1Data }).errors.map((e) => e.path)).toEqual(['/data/matchScore']);
  });

  it('names every failing data field', () => {
    const event = valid();
    const f = failure({ ...event, data: { ...event.data, rating: 9, fromRole: 'robot', matchId: 'x' } });
    expect(f.errors.map((e) => e.path).sort()).toEqual(['/data/fromRole', '/data/matchId', '/data/rating']);
  });

  it('puts each type and version on its own subject', () => {
    expect(subjectFor('buddy-events', { type: 'buddy.match.created', version: 2 })).toBe('buddy-events.buddy.match.created.v2');
  });

  it('rejects non-objects', () => {
    for (const input of [null, 42, 'event', [], undefined]) expect(failure(input).reason).toBe('schema_invalid');
  });

  it('keeps the id as given', () => {
    const id = randomUUID();
    const result = validateEvent({ ...valid(), id });
    expect(result.ok && result.event.id).toBe(id);
  });
});
