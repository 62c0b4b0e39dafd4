// Safety moderation stand-in: flags free text that contains a configured word for human review.
import { preparedOnce } from '../../storage/sqlite.ts';
import type { EventHandler } from './handler.ts';

export function flaggedWords(text: string, words: readonly string[]): string[] {
  const tokens = new Set(text.toLowerCase().match(/[a-z']+/g) ?? []);
  return words.filter((w) => tokens.has(w.toLowerCase()));
}

export function createSafetyHandler(words: readonly string[]): EventHandler {
  return {
    consumer: 'safety',
    schema: `CREATE TABLE IF NOT EXISTS safety_flags (
      event_id TEXT PRIMARY KEY, event_type TEXT NOT NULL, match_id TEXT, words TEXT NOT NULL, flagged_at TEXT NOT NULL
    )`,
    handle(event, db) {
      const data = event.data as Record<string, unknown>;
      const text = [data.comment, data.notes].filter((t): t is string => typeof t === 'string').join(' ');
      const hits = flaggedWords(text, words);
      if (hits.length === 0) return;
      preparedOnce(db, 'INSERT OR REPLACE INTO safety_flags VALUES (?, ?, ?, ?, ?)').run(
        event.id,
        event.type,
        (data.matchId as string) ?? null,
        hits.join(','),
        event.occurredAt,
      );
    },
  };
}
