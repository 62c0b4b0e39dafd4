// A slice of the Buddy System: creating a match writes the match row and its buddy.match.created
// event in one transaction, so there is never a match without its event or an event without its
// match. The same code runs on SQLite (node:sqlite) and on PostgreSQL (pg).
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { PoolClient, Pool } from 'pg';
import type { WebhookPublisher } from 'webhook-event-bus/publisher';

export type Match = { matchId: string; buddyId: string; participantId: string; programId: string; matchedAt: string };

export const newMatch = (programId = 'mentoring-2026'): Match => ({
  matchId: randomUUID(),
  buddyId: randomUUID(),
  participantId: randomUUID(),
  programId,
  matchedAt: new Date().toISOString(),
});

const MATCHES =
  'CREATE TABLE IF NOT EXISTS matches (match_id TEXT PRIMARY KEY, buddy_id TEXT NOT NULL, participant_id TEXT NOT NULL, program_id TEXT NOT NULL, matched_at TEXT NOT NULL)';

/** On SQLite: `then` runs after the rows are written and before the commit (a test makes it throw). */
export function sqliteMatches(db: DatabaseSync, publisher: WebhookPublisher<DatabaseSync>) {
  db.exec(MATCHES);
  const insert = db.prepare('INSERT INTO matches VALUES (?, ?, ?, ?, ?)');
  return {
    async create(match: Match, then: () => void = () => undefined): Promise<string> {
      db.exec('BEGIN IMMEDIATE');
      try {
        insert.run(match.matchId, match.buddyId, match.participantId, match.programId, match.matchedAt);
        const { id } = await publisher.publish({ type: 'buddy.match.created', data: match }, { tx: db });
        then();
        db.exec('COMMIT');
        return id;
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
    },
    count: () => (db.prepare('SELECT count(*) AS n FROM matches').get() as { n: number }).n,
  };
}

export async function postgresMatches(pool: Pool, publisher: WebhookPublisher<PoolClient>) {
  await pool.query(MATCHES);
  return {
    async create(match: Match, then: () => void = () => undefined): Promise<string> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('INSERT INTO matches VALUES ($1, $2, $3, $4, $5)', [
          match.matchId,
          match.buddyId,
          match.participantId,
          match.programId,
          match.matchedAt,
        ]);
        const { id } = await publisher.publish({ type: 'buddy.match.created', data: match }, { tx: client });
        then();
        await client.query('COMMIT');
        return id;
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      } finally {
        client.release();
      }
    },
    count: async () => Number((await pool.query('SELECT count(*) AS n FROM matches')).rows[0].n),
  };
}
