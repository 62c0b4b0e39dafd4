import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buddyEnvelope } from '../../harness/load/event-factory.ts';
import type { EventEnvelope } from '../events/envelope.ts';
import { createHandlers } from './handlers/index.ts';
import { journeyHandler } from './handlers/journey.ts';
import { sentimentScore } from './handlers/q2q-ai.ts';
import { flaggedWords } from './handlers/safety.ts';
import { openInbox, RETENTION_BATCH_ROWS } from './inbox.ts';

const handlers = createHandlers({ safetyWords: ['scared'] });
const open = () =>
  openInbox(
    path.join(mkdtempSync(path.join(tmpdir(), 'inbox-')), 'inbox.sqlite'),
    handlers.map((h) => h.schema),
  );
const delivery = { deliveryCount: 1, streamSeq: 1 };

describe('transactional inbox', () => {
  it('runs a handler once per event, however often the event arrives', () => {
    const inbox = open();
    const event = buddyEnvelope(1) as EventEnvelope; // check-in
    for (let i = 0; i < 3; i++)
      inbox.handleOnce('journey', event, { ...delivery, deliveryCount: i + 1 }, 0, (db) => journeyHandler.handle(event, db));
    const row = inbox.db.prepare('SELECT checkins FROM journey_milestones').get() as { checkins: number };
    expect(row.checkins).toBe(1);
    const log = inbox.db
      .prepare('SELECT outcome FROM delivery_log ORDER BY rowid')
      .all()
      .map((r) => (r as { outcome: string }).outcome);
    expect(log).toEqual(['handled', 'duplicate', 'duplicate']);
  });

  it('keeps consumers independent: each handles the same event', () => {
    const inbox = open();
    const event = buddyEnvelope(3) as EventEnvelope;
    for (const h of handlers) expect(inbox.handleOnce(h.consumer, event, delivery, 0, (db) => h.handle(event, db))).toBe('handled');
    expect((inbox.db.prepare('SELECT count(*) AS n FROM processed').get() as { n: number }).n).toBe(3);
  });

  it('rolls back both the effect and the mark when the handler throws, so a redelivery retries it', () => {
    const inbox = open();
    const event = buddyEnvelope(1) as EventEnvelope;
    expect(() =>
      inbox.handleOnce('journey', event, delivery, 0, (db) => {
        journeyHandler.handle(event, db);
        throw new Error('downstream failed');
      }),
    ).toThrow('downstream failed');
    expect(inbox.db.prepare('SELECT count(*) AS n FROM journey_milestones').get()).toMatchObject({ n: 0 });
    expect(inbox.handleOnce('journey', event, delivery, 0, (db) => journeyHandler.handle(event, db))).toBe('handled');
  });
});

describe('inbox retention', () => {
  it('deletes processed and delivery_log rows older than the cutoff, in batches, and keeps newer ones and dead letters', () => {
    const inbox = open();
    const old = RETENTION_BATCH_ROWS + 5; // more than one batch
    inbox.batch(() => {
      for (let i = 0; i < old + 3; i++) {
        const event = { ...(buddyEnvelope(i) as EventEnvelope) };
        inbox.handleOnce('journey', event, { deliveryCount: 1, streamSeq: i + 1 }, i < old ? 1000 : 5000, () => undefined);
      }
    });
    inbox.deadLetter('journey', { streamSeq: 1, subject: 's', body: '{}', reason: 'schema' }, 0);
    expect(inbox.pruneBatch(2000)).toEqual({ processed: RETENTION_BATCH_ROWS, deliveryLog: RETENTION_BATCH_ROWS, more: true });
    expect(inbox.pruneBatch(2000)).toEqual({ processed: 5, deliveryLog: 5, more: false });
    const count = (table: string) => (inbox.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    expect([count('processed'), count('delivery_log'), count('consumer_dead_letter')]).toEqual([3, 3, 1]);
    expect(inbox.pruneBatch(2000)).toEqual({ processed: 0, deliveryLog: 0, more: false });
    expect(inbox.pruneBatch(10_000)).toEqual({ processed: 3, deliveryLog: 3, more: false });
  });
});

describe('batched inbox', () => {
  it('commits a batch once, and a failing handler rolls back only its own event', () => {
    const inbox = open();
    const [a, b, c] = [buddyEnvelope(1), buddyEnvelope(1), buddyEnvelope(1)] as EventEnvelope[];
    const outcomes = inbox.batch(() =>
      [a!, b!, c!].map((event) => {
        try {
          return inbox.handleOnce('journey', event, delivery, 0, (db) => {
            journeyHandler.handle(event, db);
            if (event === b) throw new Error('downstream failed');
          });
        } catch {
          return 'failed';
        }
      }),
    );
    expect(outcomes).toEqual(['handled', 'failed', 'handled']);
    expect((inbox.db.prepare('SELECT count(*) AS n FROM journey_milestones').get() as { n: number }).n).toBe(2);
    expect(inbox.handleOnce('journey', b!, delivery, 0, (db) => journeyHandler.handle(b!, db))).toBe('handled');
  });

  it('rolls the whole batch back when it fails to commit', () => {
    const inbox = open();
    const event = buddyEnvelope(1) as EventEnvelope;
    expect(() =>
      inbox.batch(() => {
        inbox.handleOnce('journey', event, delivery, 0, (db) => journeyHandler.handle(event, db));
        throw new Error('crash before commit');
      }),
    ).toThrow('crash before commit');
    expect(inbox.handleOnce('journey', event, delivery, 0, (db) => journeyHandler.handle(event, db))).toBe('handled');
  });
});

describe('handlers', () => {
  it('Safety flags configured words only', () => {
    expect(flaggedWords('I felt Scared and alone', ['scared', 'harm'])).toEqual(['scared']);
    expect(flaggedWords('scaredy-cat', ['scared'])).toEqual([]);
  });

  it('Q2Q AI scores sentiment between -1 and 1', () => {
    expect(sentimentScore('great helpful progress')).toBeGreaterThan(0);
    expect(sentimentScore('bad late stuck')).toBeLessThan(0);
    expect(sentimentScore('')).toBe(0);
  });
});
