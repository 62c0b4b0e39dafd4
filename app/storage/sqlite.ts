// SQLite as the publisher's outbox and the consumers' inbox use it: WAL, so a CLI or a checker can
// read while the service writes, and synchronous=FULL, because a commit is followed by an
// acknowledgement (to a caller, or to JetStream) that must survive a power cut.
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { ensurePrivateDatabaseFiles, ensurePrivateDirectory } from './private-files.ts';

/** Why a database file cannot be used: the same word in the health JSON, the problem+json body and the log. */
export type DatabaseFileReason = 'database_corrupt' | 'database_unopenable' | 'database_file_missing' | 'database_file_replaced';

export class DatabaseFileError extends Error {
  override name = 'DatabaseFileError';
  readonly reason: DatabaseFileReason;
  readonly file: string;
  constructor(reason: DatabaseFileReason, file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.reason = reason;
    this.file = file;
  }
}

// SQLITE_CORRUPT and SQLITE_NOTADB: what a page of garbage looks like to SQLite.
const CORRUPTION_CODES = new Set([11, 26]);

/** `makePrivate: false` for a second connection to a file that is already set up, or the application's own. */
export function openDurableDatabase(file: string, options: { makePrivate?: boolean } = {}): DatabaseSync {
  let db: DatabaseSync | undefined;
  try {
    if (file !== ':memory:' && options.makePrivate !== false) {
      ensurePrivateDirectory(path.dirname(file));
      // Before SQLite first writes: it gives the -wal and -shm files the main file's mode.
      ensurePrivateDatabaseFiles(file);
    }
    db = new DatabaseSync(file);
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;');
    return db;
  } catch (err) {
    if (db?.isOpen) db.close();
    const { message, errcode } = err as Error & { errcode?: number };
    throw new DatabaseFileError(
      errcode !== undefined && CORRUPTION_CODES.has(errcode) ? 'database_corrupt' : 'database_unopenable',
      file,
      message,
    );
  }
}

/**
 * PRAGMA quick_check at start-up (seconds per GB): a damaged outbox or inbox stops the service
 * with one clear line, instead of failing on some later read and taking events with it.
 */
export function assertDatabaseIntact(db: DatabaseSync, file: string): void {
  let lines: string[];
  try {
    lines = db
      .prepare('PRAGMA quick_check')
      .all()
      .flatMap((row) => String(Object.values(row)[0]).split('\n'));
  } catch (err) {
    throw new DatabaseFileError('database_corrupt', file, `PRAGMA quick_check failed: ${(err as Error).message}`);
  }
  const problem = summarizeQuickCheck(lines);
  if (problem) throw new DatabaseFileError('database_corrupt', file, `PRAGMA quick_check failed: ${problem}`);
}

/** quick_check's answer as one line, or undefined for "ok". */
export function summarizeQuickCheck(lines: readonly string[]): string | undefined {
  const problems = lines.map((l) => l.trim()).filter((l) => l && l !== 'ok' && !/^\*\*\* in database \w+ \*\*\*$/.test(l));
  if (problems.length === 0) return lines.some((l) => l.trim() === 'ok') ? undefined : 'no answer';
  const first = problems[0]!.slice(0, 200);
  return problems.length === 1 ? first : `${first} (and ${problems.length - 1} more)`;
}

const REMEDY: Record<DatabaseFileReason, string> = {
  database_corrupt: 'move it aside and restore a backup; a fresh file would start empty',
  database_unopenable: 'check the path and its permissions',
  database_file_missing: 'restart the service',
  database_file_replaced: 'restart the service',
};

/**
 * For main.ts: an outbox or inbox that cannot be used stops start-up with one line and exit code
 * 74 (EX_IOERR), rather than a stack trace.
 */
export async function openOrExit<T>(service: string, open: () => T | Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    if (!(error instanceof DatabaseFileError)) throw error;
    process.stderr.write(`${service}: ${error.reason}: ${error.message.replaceAll('\n', ' ')}; ${REMEDY[error.reason]}\n`);
    process.exit(74);
  }
}

const compiled = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

/**
 * `sql` compiled once per connection and reused: compiling costs about three times running it
 * (~6 µs against ~2 µs), paid on every event by the consumers' handlers before. Only for SQL
 * from a fixed set of texts: the cache keeps each text for the connection's life.
 */
export function preparedOnce(db: DatabaseSync, sql: string): StatementSync {
  const statements = compiled.get(db) ?? new Map<string, StatementSync>();
  compiled.set(db, statements);
  const statement = statements.get(sql) ?? db.prepare(sql);
  statements.set(sql, statement);
  return statement;
}

/** Runs `work` in one write transaction (one fsync), rolled back if it throws. */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
