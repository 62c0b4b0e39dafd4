// Outbox and inbox files hold event bodies (check-in notes, comments): only the service's own user
// may read them. Modes are set explicitly rather than through the umask, because the publisher is
// also a library and must not change the umask of the application that embeds it.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Whether an existing directory may be narrowed to 0700: only one of our own, and never a shared
 * one (the sticky bit marks /tmp and its kind, which root could otherwise lock everyone out of).
 */
export function mayTighten(dir: { uid: number; mode: number }, uid: number | undefined): boolean {
  const sticky = (dir.mode & 0o1000) !== 0;
  return !sticky && (uid === undefined || dir.uid === uid) && (dir.mode & 0o077) !== 0;
}

/** Creates `dir` (and any missing parent) as 0700; an existing one of ours loses its group and other bits. */
export function ensurePrivateDirectory(dir: string): void {
  // mkdir's mode applies to every level it creates; an existing directory keeps its own.
  if (mkdirSync(dir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE }) !== undefined) return;
  if (mayTighten(statSync(dir), process.getuid?.())) chmodSync(dir, PRIVATE_DIRECTORY_MODE);
}

/** Creates `file` if missing and makes it and its SQLite companions (-wal, -shm) 0600. */
export function ensurePrivateDatabaseFiles(file: string): void {
  // The mode of open() applies only when it creates the file; chmod covers files from older runs.
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, PRIVATE_FILE_MODE);
}
