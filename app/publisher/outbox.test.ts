import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buddyEnvelope } from '../../harness/load/event-factory.ts';
import type { EventEnvelope } from '../events/envelope.ts';
import { openOutbox } from './outbox.ts';

const file = () => path.join(mkdtempSync(path.join(tmpdir(), 'outbox-')), 'outbox.sqlite');
const event = (i = 0) => buddyEnvelope(i) as EventEnvelope;

describe('outbox', () => {
  it('survives a reopen: what was enqueued is still due', () => {
    const f = file();
    const a = openOutbox(f);
    const e = event();
    expect(a.enqueue(e, { traceparent: '00-abc-def-01' }, 1000)).toBe(true);
    a.close();
    const b = openOutbox(f);
    const [row] = b.due(1000, 10, []);
    expect(row).toMatchObject({ id: e.id, type: e.type, attempts: 0, trace_headers: JSON.stringify({ traceparent: '00-abc-def-01' }) });
    expect(JSON.parse(row!.body)).toEqual(e);
  });

  it('is idempotent on the event id', () => {
    const o = openOutbox(file());
    const e = event();
    expect(o.enqueue(e, {}, 0)).toBe(true);
    expect(o.enqueue(e, {}, 0)).toBe(false);
    expect(o.depth()).toBe(1);
  });

  it('returns only due rows that are not in flight, oldest first', () => {
    const o = openOutbox(file());
    const [a, b, c] = [event(0), event(1), event(2)];
    o.enqueue(a, {}, 100);
    o.enqueue(b, {}, 50);
    o.enqueue(c, {}, 500);
    expect(o.due(200, 10, []).map((r) => r.id)).toEqual([b.id, a.id]);
    expect(o.due(200, 10, [b.id]).map((r) => r.id)).toEqual([a.id]);
    expect(o.due(200, 1, []).map((r) => r.id)).toEqual([b.id]);
  });

  it('enqueues and forgets several events in one transaction each', () => {
    const o = openOutbox(file());
    const [a, b] = [event(0), event(1)];
    expect(o.enqueueMany([{ event: a, traceHeaders: {} }, { event: b, traceHeaders: {} }, { event: a, traceHeaders: {} }], 0)).toEqual([true, true, false]);
    expect(o.depth()).toBe(2);
    o.markDeliveredMany([a.id, b.id]);
    expect(o.depth()).toBe(0);
  });

  it('reschedules a retry, and forgets a delivered event', () => {
    const o = openOutbox(file());
    const e = event();
    o.enqueue(e, {}, 0);
    o.scheduleRetry(e.id, 1, 5000, 503, 'http_5xx');
    expect(o.due(4999, 10, [])).toEqual([]);
    expect(o.due(5000, 10, [])[0]).toMatchObject({ attempts: 1, last_status: 503, last_error: 'http_5xx' });
    o.markDeliveredMany([e.id]);
    expect(o.depth()).toBe(0);
  });

  it('dead-letters with the last status and reason, and replays keeping the id', () => {
    const o = openOutbox(file());
    const e = event();
    o.enqueue(e, {}, 0);
    o.deadLetter(e.id, 6, 503, 'exhausted:http_5xx', 'exhausted after 6 attempt(s)', 9000);
    expect(o.depth()).toBe(0);
    expect(o.deadLetterDepth()).toBe(1);
    expect(o.getDeadLetter(e.id)).toMatchObject({ id: e.id, attempts: 6, last_status: 503, reason: 'exhausted:http_5xx' });
    // A client retry of a dead-lettered id must not create a second copy.
    expect(o.enqueue(e, {}, 9500)).toBe(false);
    expect(o.replay([e.id, 'missing'], 10_000)).toEqual([e.id]);
    expect(o.deadLetterDepth()).toBe(0);
    expect(o.due(10_000, 10, [])[0]).toMatchObject({ id: e.id, attempts: 0 });
  });

  it('replays all dead letters at once', () => {
    const o = openOutbox(file());
    const events = [event(0), event(1), event(2)];
    for (const e of events) {
      o.enqueue(e, {}, 0);
      o.deadLetter(e.id, 1, 400, 'rejected:http_4xx', 'rejected', 1);
    }
    expect(o.replayAll(2).sort()).toEqual(events.map((e) => e.id).sort());
    expect(o.depth()).toBe(3);
  });

  it('sees another connection\'s writes (the dead-letter CLI runs beside the service)', () => {
    const f = file();
    const service = openOutbox(f);
    const cli = openOutbox(f);
    const e = event();
    service.enqueue(e, {}, 0);
    service.deadLetter(e.id, 1, 422, 'rejected:http_4xx', 'rejected', 1);
    expect(cli.listDeadLetters().map((r) => r.id)).toEqual([e.id]);
    cli.replay([e.id], 2);
    expect(service.due(2, 10, []).map((r) => r.id)).toEqual([e.id]);
  });
});
