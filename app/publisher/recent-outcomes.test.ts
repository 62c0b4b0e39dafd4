// The publisher's record of recent outcomes: what a committed settlement says about its event, how
// that combines with the dead-letter table, and the bound. Tables of pure functions; the endpoint on
// a real publisher is followed end to end in harness/trace/trace.test.ts.
import { describe, expect, it } from 'vitest';
import type { DeadLetterRow, OutboxRow } from './outbox-row.ts';
import { outboxRow } from './outbox-row-fixture.ts';
import { createRecentOutcomes, eventStatus, outcomeOfSettlement, type PublisherOutcome } from './recent-outcomes.ts';
import type { Settlement } from './settle.ts';

const row = (over: Partial<OutboxRow> = {}): OutboxRow => outboxRow({ type: 'buddy.match.ended', attempts: 2, ...over });
const common = { id: 'e1', errors: [], status: 202 };

describe('what a committed settlement says about its event', () => {
  it.each<{ case: string; row: OutboxRow; s: Settlement; expected: Partial<PublisherOutcome> & Record<string, unknown> }>([
    {
      case: 'delivered on the third round, through the webhook',
      row: row(),
      s: { ...common, action: 'delivered', done: { webhook: 1000 }, dualPath: null },
      expected: { state: 'delivered', at: 5000, attempts: 3, status: 202, mode: 'webhook', paths: ['webhook'] },
    },
    {
      case: 'delivered in dual mode: NATS now, the webhook in an earlier round',
      row: row({ attempts: 0, webhook_done_at: 900 }),
      s: { ...common, action: 'delivered', done: { nats: 1000 }, dualPath: { webhook_at: 900, nats_at: 1000 } },
      expected: { state: 'delivered', attempts: 1, paths: ['webhook', 'nats'] },
    },
    {
      case: 'retrying after a 503',
      row: row(),
      s: {
        ...common,
        status: 503,
        action: 'retry',
        done: {},
        attempts: 3,
        nextAttemptAt: 9000,
        reason: 'http_5xx',
        charged: true,
        retried: ['webhook'],
      },
      expected: { state: 'retrying', attempts: 3, nextAttemptAt: 9000, reason: 'http_5xx', status: 503 },
    },
    {
      case: 'dead-lettered by a 422',
      row: row(),
      s: {
        ...common,
        status: 422,
        action: 'dead_letter',
        done: {},
        attempts: 3,
        reason: 'http_4xx',
        detail: 'schema_invalid',
        dualPath: null,
      },
      expected: { state: 'dead_lettered', attempts: 3, reason: 'http_4xx', detail: 'schema_invalid', status: 422 },
    },
  ])('$case', ({ row, s, expected }) => {
    expect(outcomeOfSettlement(row, s, s.action === 'delivered' && s.done.nats ? 'dual' : 'webhook', 5000)).toMatchObject(expected);
  });
});

describe('where an event stands: the recent outcome checked against the dead-letter table', () => {
  const deadLetter: DeadLetterRow = {
    id: 'e1',
    type: 'buddy.match.ended',
    body: '{}',
    created_at: 0,
    attempts: 6,
    last_status: 401,
    reason: 'http_4xx',
    detail: 'signature_mismatch',
    dead_lettered_at: 7000,
    trace_headers: null,
  };
  const delivered: PublisherOutcome = { state: 'delivered', at: 5000, attempts: 1, status: 202, mode: 'webhook', paths: ['webhook'] };
  const dead: PublisherOutcome = {
    state: 'dead_lettered',
    at: 7000,
    attempts: 6,
    status: 401,
    reason: 'http_4xx',
    detail: '',
    mode: 'webhook',
  };
  const retrying: PublisherOutcome = {
    state: 'retrying',
    at: 1000,
    attempts: 1,
    nextAttemptAt: 3000,
    reason: 'timeout',
    status: null,
    mode: 'webhook',
  };
  it.each([
    { case: 'neither knows it', recent: undefined, row: undefined, state: undefined },
    { case: 'delivered, in memory', recent: delivered, row: undefined, state: 'delivered' },
    { case: 'a dead letter from before a restart', recent: undefined, row: deadLetter, state: 'dead_lettered' },
    { case: 'dead-lettered, in both', recent: dead, row: deadLetter, state: 'dead_lettered' },
    { case: 'dead-lettered, then replayed by another process (the row is gone)', recent: dead, row: undefined, state: 'queued' },
    { case: 'retrying', recent: retrying, row: undefined, state: 'retrying' },
  ])('$case: $state', ({ recent, row, state }) => {
    expect(eventStatus('e1', recent, row)?.state).toBe(state);
  });

  it('shows times as ISO strings and the dead letter by its reason', () => {
    expect(eventStatus('e1', retrying, deadLetter)).toEqual({
      id: 'e1',
      state: 'dead_lettered',
      recent: { ...retrying, at: '1970-01-01T00:00:01.000Z', nextAttemptAt: '1970-01-01T00:00:03.000Z' },
      deadLetter: {
        attempts: 6,
        lastStatus: 401,
        reason: 'http_4xx',
        detail: 'signature_mismatch',
        deadLetteredAt: '1970-01-01T00:00:07.000Z',
      },
    });
  });
});

describe('the bound', () => {
  it('keeps the last N ids written, oldest out first; an id written again is the newest', () => {
    const recent = createRecentOutcomes(2);
    recent.record('a', { state: 'queued', at: 1, replayed: false });
    recent.record('b', { state: 'queued', at: 2, replayed: false });
    recent.record('a', { state: 'delivered', at: 3, attempts: 1, status: 202, mode: 'webhook', paths: ['webhook'] });
    recent.record('c', { state: 'queued', at: 4, replayed: false });
    expect(recent.size).toBe(2);
    expect(recent.get('b')).toBeUndefined();
    expect(recent.get('a')?.state).toBe('delivered');
    expect(recent.get('c')?.state).toBe('queued');
  });
});
