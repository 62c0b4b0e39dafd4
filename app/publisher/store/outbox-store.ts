// What the delivery loop and publish() need from the database that holds the outbox. Two
// implementations: SQLite (node:sqlite, embedded) and PostgreSQL (pg). Both keep the same tables.
//
// Claims are leases: a claimed row's next_attempt_at moves to the end of the lease and claimed_by
// names the instance, so several publishers can share one outbox without two sending the same row
// at once, and a row whose publisher died is due again when the lease ends (or at once, when that
// instance restarts under the same id).
import type { FileGuard } from '../../storage/file-guard.ts';
import type { DeadLetterRow, DualPathRow, NewOutboxRow, OutboxRow } from '../outbox-row.ts';
import type { Settlement } from '../settle.ts';

export type OutboxCounts = { outbox: number; deadLetter: number };

export type OutboxStore<Tx> = {
  kind: 'sqlite' | 'postgres';
  /** SQLite: whether the open file is still the one at its path (insert() throws DatabaseFileError when not). */
  fileGuard?: FileGuard;
  /** Writes rows inside the caller's open transaction: they commit or roll back with it. */
  insertIn(tx: Tx, rows: readonly NewOutboxRow[], now: number): Promise<boolean[]>;
  /** Writes rows in one transaction of its own; durable when it resolves. */
  insert(rows: readonly NewOutboxRow[], now: number): Promise<boolean[]>;
  /** Takes up to `limit` due rows for `owner` until `leaseUntil`. */
  claimDue(options: { now: number; limit: number; leaseUntil: number; owner: string }): Promise<OutboxRow[]>;
  /** Makes the rows `owner` held due again (its previous run ended without settling them). */
  releaseClaims(owner: string, now: number): Promise<number>;
  /** Carries out settlements, all in one transaction. */
  apply(settlements: readonly Settlement[], owner: string, now: number): Promise<void>;
  counts(): Promise<OutboxCounts>;
  listDeadLetters(limit: number, offset: number): Promise<DeadLetterRow[]>;
  getDeadLetter(id: string): Promise<DeadLetterRow | undefined>;
  /** Moves dead letters back into the outbox with a fresh budget; the id (webhook-id) stays. */
  replay(ids: readonly string[] | 'all', now: number): Promise<string[]>;
  dualPathsSince(since: number): Promise<DualPathRow[]>;
  /** Retention: deletes up to `limit` dual-path rows completed before `cutoff`; returns how many. */
  pruneDualPath(cutoff: number, limit: number): Promise<number>;
  /** Calls `wake` when another process committed new rows (PostgreSQL LISTEN); returns a stop function. */
  watchCommits?(wake: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
};
