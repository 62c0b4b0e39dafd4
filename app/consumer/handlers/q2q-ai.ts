// Q2Q AI stand-in: turns qualitative input (feedback comments, check-in notes) into a sentiment
// score that the real engine would feed into outcome models.
import { preparedOnce } from '../../storage/sqlite.ts';
import type { EventHandler } from './handler.ts';

const POSITIVE = ['great', 'good', 'helpful', 'happy', 'progress', 'confident', 'enjoyed', 'thanks'];
const NEGATIVE = ['bad', 'late', 'unhelpful', 'sad', 'stuck', 'lonely', 'difficult', 'cancelled'];

/** -1..1: a bag-of-words stand-in, deterministic so tests can check it. */
export function sentimentScore(text: string): number {
  const words = text.toLowerCase().match(/[a-z']+/g) ?? [];
  let score = 0;
  for (const w of words) {
    if (POSITIVE.includes(w)) score += 1;
    if (NEGATIVE.includes(w)) score -= 1;
  }
  return words.length === 0 ? 0 : Math.max(-1, Math.min(1, score / Math.sqrt(words.length)));
}

export const q2qAiHandler: EventHandler = {
  consumer: 'q2q-ai',
  schema: `CREATE TABLE IF NOT EXISTS q2q_insights (
    event_id TEXT PRIMARY KEY, event_type TEXT NOT NULL, subject_id TEXT NOT NULL, score REAL NOT NULL, source_text_length INTEGER NOT NULL
  )`,
  handle(event, db) {
    const data = event.data as Record<string, unknown>;
    const text = typeof data.comment === 'string' ? data.comment : typeof data.notes === 'string' ? data.notes : '';
    const score =
      event.type === 'buddy.feedback.submitted' ? (sentimentScore(text) + ((data.rating as number) - 3) / 2) / 2 : sentimentScore(text);
    const subject = String(data.matchId ?? data.participantId ?? event.id);
    preparedOnce(db, 'INSERT OR REPLACE INTO q2q_insights VALUES (?, ?, ?, ?, ?)').run(event.id, event.type, subject, score, text.length);
  },
};
