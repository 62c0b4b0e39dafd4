// Whether the database file a process has open is still the file at its path. Deleted or replaced
// under a running service (rm, a restore copied over it, a volume remounted), the open file keeps
// taking writes that the next start never sees: acknowledged events would vanish without a word.
import { statSync } from 'node:fs';
import type { Logger } from '../telemetry/logger.ts';
import { DatabaseFileError } from './sqlite.ts';

export type FileIdentity = { dev: bigint; ino: bigint };
export type FileCheck = { ok: true } | { ok: false; reason: 'database_file_missing' | 'database_file_replaced' };

const OK: FileCheck = { ok: true };

/** The identity of the file at `file` now; undefined when the path leads nowhere. */
export function fileIdentityAt(file: string): FileIdentity | undefined {
  try {
    // bigint: inode numbers can exceed 2^53 on some filesystems.
    const s = statSync(file, { bigint: true });
    return { dev: s.dev, ino: s.ino };
  } catch {
    // ENOENT, or a directory that can no longer be searched: either way the path no longer leads to our file.
    return undefined;
  }
}

export function compareFileIdentity(opened: FileIdentity, atPath: FileIdentity | undefined): FileCheck {
  if (!atPath) return { ok: false, reason: 'database_file_missing' };
  return atPath.dev === opened.dev && atPath.ino === opened.ino ? OK : { ok: false, reason: 'database_file_replaced' };
}

const sameCheck = (a: FileCheck, b: FileCheck) => (a.ok ? b.ok : !b.ok && a.reason === b.reason);

const DETAIL = {
  database_file_missing: 'deleted while open: what is written to it now would be gone at the next start',
  database_file_replaced: 'replaced by another file while open: what is written to it now would be gone at the next start',
};

export type FileGuard = {
  file: string;
  /** Looks again (one stat) and tells the listeners when the answer changed. */
  check(): FileCheck;
  /** The answer of the last check, without looking (for a gauge read at scrape time). */
  last(): FileCheck;
  /** Throws DatabaseFileError unless the file at the path is still the one opened. */
  assertInPlace(): void;
  onChange(listener: (check: FileCheck) => void): () => void;
};

/** Remembers the identity of `file`, which the caller has just opened. */
export function guardFile(file: string): FileGuard {
  const opened = fileIdentityAt(file);
  if (!opened) throw new DatabaseFileError('database_file_missing', file, 'not found right after opening it');
  const listeners = new Set<(check: FileCheck) => void>();
  let last = OK;
  const check = () => {
    const now = compareFileIdentity(opened, fileIdentityAt(file));
    const changed = !sameCheck(now, last);
    last = now;
    if (changed) for (const listener of listeners) listener(now);
    return now;
  };
  return {
    file,
    check,
    last: () => last,
    assertInPlace() {
      const now = check();
      if (!now.ok) throw new DatabaseFileError(now.reason, file, DETAIL[now.reason]);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

/**
 * Checks every `intervalMs`, so the gauge and the log follow even when nothing writes or asks, and
 * logs each change: an error when the file goes, a warning if it comes back. Returns the stop function.
 */
export function watchFile(
  guard: FileGuard,
  options: { logger: Logger; what: string; consequence: string; intervalMs?: number },
): () => void {
  const { logger, what, consequence } = options;
  const unsubscribe = guard.onChange((check) => {
    if (check.ok) logger.warn({ file: guard.file }, `${what} file is back at its path`);
    else logger.error({ reason: check.reason, file: guard.file }, `${what} file is no longer the file at its path: ${consequence}`);
  });
  const timer = setInterval(() => guard.check(), options.intervalMs ?? 5000);
  timer.unref();
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}
