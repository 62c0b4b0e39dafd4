// Data at rest: private modes, PRAGMA quick_check at open, and the check that the open file is still
// the one at its path. Real files, real SQLite; the decisions are tested as tables.
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buddyEnvelope } from '../../harness/load/event-factory.ts';
import { createHandlers } from '../consumer/handlers/index.ts';
import { openInbox } from '../consumer/inbox.ts';
import type { EventEnvelope } from '../events/envelope.ts';
import { sqliteOutbox } from '../publisher/store/sqlite-outbox.ts';
import { compareFileIdentity, type FileCheck, guardFile } from './file-guard.ts';
import { ensurePrivateDirectory, mayTighten } from './private-files.ts';
import { DatabaseFileError, openDurableDatabase, summarizeQuickCheck } from './sqlite.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'storage-'));
const modeOf = (p: string) => statSync(p).mode & 0o7777;
const handlers = createHandlers({ safetyWords: ['scared'] });
const schemas = handlers.map((h) => h.schema);
const row = (i: number) => {
  const e = buddyEnvelope(i);
  return { id: e.id, type: e.type, body: JSON.stringify(e), traceHeaders: null };
};

/** Writes 4096 bytes of garbage over one page (1-based) of a closed database file. */
function corruptPage(file: string, page: number): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, (page - 1) * 4096);
  closeSync(fd);
}

/** A closed outbox file with a few hundred events in it (several pages), as a service leaves it. */
async function realOutbox(dir: string): Promise<string> {
  const file = path.join(dir, 'outbox.sqlite');
  const store = sqliteOutbox({ database: file });
  await store.insert(
    Array.from({ length: 300 }, (_, i) => row(i)),
    0,
  );
  await store.close();
  return file;
}

describe('private modes', () => {
  it.each([
    ['our own 0755 directory', { uid: 1000, mode: 0o40755 }, 1000, true],
    ['already 0700', { uid: 1000, mode: 0o40700 }, 1000, false],
    ['someone else’s directory', { uid: 0, mode: 0o40755 }, 1000, false],
    ['a shared sticky directory (/tmp), even as root', { uid: 0, mode: 0o41777 }, 0, false],
    ['a platform without uids (Windows)', { uid: 0, mode: 0o40755 }, undefined, true],
  ])('%s: tighten = %s', (_what, dir, uid, expected) => {
    expect(mayTighten(dir, uid)).toBe(expected);
  });

  it('creates data directories 0700 and the database, -wal and -shm 0600', async () => {
    const dir = tmp();
    const file = path.join(dir, 'data', 'publisher', 'outbox.sqlite');
    const store = sqliteOutbox({ database: file });
    await store.insert([row(1)], 0);
    expect(modeOf(path.join(dir, 'data'))).toBe(0o700);
    expect(modeOf(path.dirname(file))).toBe(0o700);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect([f, modeOf(f)]).toEqual([f, 0o600]);
    await store.close();
  });

  it('tightens the files and directory a previous run left readable', () => {
    const dir = path.join(tmp(), 'inbox-dir');
    const file = path.join(dir, 'inbox.sqlite');
    openInbox(file, schemas).close();
    chmodSync(dir, 0o755);
    chmodSync(file, 0o644);
    writeFileSync(`${file}-wal`, '', { mode: 0o644 });
    chmodSync(`${file}-wal`, 0o644);
    const inbox = openInbox(file, schemas);
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(file)).toBe(0o600);
    expect(modeOf(`${file}-wal`)).toBe(0o600);
    expect(modeOf(`${file}-shm`)).toBe(0o600);
    inbox.close();
  });

  it('leaves a shared sticky directory alone (a demo state dir or an outbox put in /tmp)', () => {
    const shared = path.join(tmp(), 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    ensurePrivateDirectory(shared);
    expect(modeOf(shared)).toBe(0o1777);
    const db = openDurableDatabase(path.join(shared, 'x.sqlite'));
    expect(modeOf(path.join(shared, 'x.sqlite'))).toBe(0o600);
    db.close();
  });
});

describe('PRAGMA quick_check at start-up', () => {
  it.each([
    ['ok', ['ok'], undefined],
    [
      'one problem under the database header',
      ['*** in database main ***', 'Tree 2 page 2: btreeInitPage() returns error code 11'],
      'Tree 2 page 2: btreeInitPage() returns error code 11',
    ],
    [
      'several problems',
      ['*** in database main ***', 'Page 5: never used', 'Page 6: never used', 'Page 7: never used'],
      'Page 5: never used (and 2 more)',
    ],
    ['no rows at all', [], 'no answer'],
  ])('%s', (_what, lines, expected) => {
    expect(summarizeQuickCheck(lines)).toBe(expected);
  });

  // Page 1 holds the header (SQLite: "file is not a database"); page 2 a table's root; the last a leaf.
  it.each([1, 2, 'last'] as const)('an outbox with garbage over page %s refuses to open, naming the file and the reason', async (page) => {
    const file = await realOutbox(tmp());
    corruptPage(file, page === 'last' ? Math.floor(statSync(file).size / 4096) : page);
    const error = (() => {
      try {
        sqliteOutbox({ database: file });
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(DatabaseFileError);
    expect(error).toMatchObject({ reason: 'database_corrupt', file });
    expect((error as Error).message).not.toContain('\n');
  });

  it('an inbox with garbage over a page refuses to open', () => {
    const file = path.join(tmp(), 'inbox.sqlite');
    const inbox = openInbox(file, schemas);
    inbox.batch(() => {
      for (let i = 0; i < 200; i++)
        inbox.handleOnce('journey', buddyEnvelope(i) as EventEnvelope, { deliveryCount: 1, streamSeq: i }, 0, () => undefined);
    });
    inbox.close();
    corruptPage(file, 2);
    expect(() => openInbox(file, schemas)).toThrow(DatabaseFileError);
  });
});

describe('the open file is still the file at its path', () => {
  const opened = { dev: 1n, ino: 42n };
  it.each<[string, { dev: bigint; ino: bigint } | undefined, FileCheck]>([
    ['the same file', { dev: 1n, ino: 42n }, { ok: true }],
    ['nothing at the path', undefined, { ok: false, reason: 'database_file_missing' }],
    ['another inode', { dev: 1n, ino: 43n }, { ok: false, reason: 'database_file_replaced' }],
    ['the same inode number on another device', { dev: 2n, ino: 42n }, { ok: false, reason: 'database_file_replaced' }],
  ])('%s', (_what, atPath, expected) => {
    expect(compareFileIdentity(opened, atPath)).toEqual(expected);
  });

  it('a guard tells its listeners once per change', () => {
    const file = path.join(tmp(), 'a.sqlite');
    writeFileSync(file, '');
    // Held open, as SQLite holds its file: a freed inode could otherwise come back under the new name.
    const fd = openSync(file, 'r');
    const guard = guardFile(file);
    const seen: FileCheck[] = [];
    guard.onChange((c) => seen.push(c));
    guard.check();
    rmSync(file);
    guard.check();
    guard.check();
    writeFileSync(`${file}.new`, '');
    renameSync(`${file}.new`, file);
    guard.check();
    expect(seen).toEqual([
      { ok: false, reason: 'database_file_missing' },
      { ok: false, reason: 'database_file_replaced' },
    ]);
    expect(guard.last()).toEqual({ ok: false, reason: 'database_file_replaced' });
    closeSync(fd);
  });

  it('rm outbox.sqlite*: insert() commits into the orphaned file, then refuses to call it durable', async () => {
    const file = path.join(tmp(), 'outbox.sqlite');
    const store = sqliteOutbox({ database: file });
    expect(await store.insert([row(1)], 0)).toEqual([true]);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    await expect(store.insert([row(2)], 0)).rejects.toMatchObject({ name: 'DatabaseFileError', reason: 'database_file_missing' });
    expect(store.fileGuard?.last()).toEqual({ ok: false, reason: 'database_file_missing' });
    expect(existsSync(file)).toBe(false);
    await store.close();
  });

  it('an inbox file replaced under the consumer: the batch commits but throws, so nothing is acked', () => {
    const file = path.join(tmp(), 'inbox.sqlite');
    const inbox = openInbox(file, schemas);
    const event = buddyEnvelope(1) as EventEnvelope;
    expect(inbox.batch(() => inbox.handleOnce('journey', event, { deliveryCount: 1, streamSeq: 1 }, 0, () => undefined))).toBe('handled');
    renameSync(file, `${file}.moved`);
    writeFileSync(file, '');
    expect(() =>
      inbox.batch(() =>
        inbox.handleOnce('journey', buddyEnvelope(2) as EventEnvelope, { deliveryCount: 1, streamSeq: 2 }, 0, () => undefined),
      ),
    ).toThrow(expect.objectContaining({ reason: 'database_file_replaced' }));
    inbox.close();
  });
});
