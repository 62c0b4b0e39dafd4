// Bearer tokens for the stacks the harness starts: random, and when they must outlive a process (the
// demo's admin token, read by `npm run drill`), kept in a file only their owner can read.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { MIN_TOKEN_LENGTH } from '../../app/config/env.ts';

/** 32 random bytes, base64url: 43 characters, safe in a header, a file and a URL. */
export const randomToken = () => randomBytes(32).toString('base64url');

/** Reads the token in `file`; refuses one the services would refuse. */
export function readTokenFile(file: string): string {
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < MIN_TOKEN_LENGTH) throw new Error(`${file} holds no token of at least ${MIN_TOKEN_LENGTH} characters`);
  return token;
}

/** The token in `file`, created once (0600, never replaced) and reused by every later run. */
export function readOrCreateTokenFile(file: string): string {
  let fd: number | undefined;
  try {
    // 'wx': created here or not at all, so two runs starting together cannot overwrite each other.
    fd = openSync(file, 'wx', 0o600);
    writeSync(fd, `${randomToken()}\n`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Ours from an earlier run: if its mode was widened since, narrow it again.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return readTokenFile(file);
}
