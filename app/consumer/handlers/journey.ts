// Journey stand-in: keeps each match's milestones (matched, check-ins, events attended, ended).
import { preparedOnce } from '../../storage/sqlite.ts';
import type { EventHandler } from './handler.ts';

export const journeyHandler: EventHandler = {
  consumer: 'journey',
  schema: `CREATE TABLE IF NOT EXISTS journey_milestones (
    subject_id TEXT PRIMARY KEY, matched INTEGER NOT NULL DEFAULT 0, checkins INTEGER NOT NULL DEFAULT 0,
    events_attended INTEGER NOT NULL DEFAULT 0, feedback INTEGER NOT NULL DEFAULT 0, ended_reason TEXT, updated_at TEXT NOT NULL
  )`,
  handle(event, db) {
    const data = event.data as Record<string, unknown>;
    const subject = String(data.matchId ?? data.participantId);
    const column = {
      'buddy.match.created': 'matched',
      'buddy.checkin.completed': 'checkins',
      'buddy.event.attended': 'events_attended',
      'buddy.feedback.submitted': 'feedback',
    }[event.type];
    preparedOnce(db, 'INSERT INTO journey_milestones (subject_id, updated_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(
      subject,
      event.occurredAt,
    );
    if (column) {
      // A counter, not a flag: counting twice is exactly the bug the inbox prevents, and a test can see it.
      preparedOnce(db, `UPDATE journey_milestones SET ${column} = ${column} + 1, updated_at = ? WHERE subject_id = ?`).run(
        event.occurredAt,
        subject,
      );
    } else if (event.type === 'buddy.match.ended') {
      preparedOnce(db, 'UPDATE journey_milestones SET ended_reason = ?, updated_at = ? WHERE subject_id = ?').run(
        String(data.reason),
        event.occurredAt,
        subject,
      );
    }
  },
};
