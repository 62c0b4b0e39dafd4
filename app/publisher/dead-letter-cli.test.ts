// Which outbox `npm run dead-letters` and `npm run dual:compare` open: the command line, then the
// publisher's own environment, then the running demo's, then the default (a table); and the line
// that says which, kept off stdout so that --json stays parseable.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../harness/integration/support.ts';
import { chooseOutbox, DEFAULT_OUTBOX, DEMO_OUTBOX, describeOutboxChoice, runDeadLetterCli } from './dead-letter-cli.ts';
import { runDualPathCli } from './dual-path-cli.ts';
import { sqliteOutbox } from './store/sqlite-outbox.ts';

const PG = 'postgres://publisher:secret@db/outbox';

describe('the outbox the CLIs open', () => {
  it.each([
    { case: '--outbox', flags: { outbox: 'a.sqlite' }, env: {}, demo: true, expected: { path: 'a.sqlite', from: '--outbox' } },
    { case: '--database-url', flags: { databaseUrl: PG }, env: {}, demo: true, expected: { url: PG, from: '--database-url' } },
    {
      case: '--outbox over the environment',
      flags: { outbox: 'a.sqlite' },
      env: { PUBLISHER_STORE: 'postgres', PUBLISHER_DATABASE_URL: PG, PUBLISHER_OUTBOX_PATH: 'b.sqlite' },
      demo: true,
      expected: { path: 'a.sqlite', from: '--outbox' },
    },
    {
      case: 'PUBLISHER_STORE=postgres',
      flags: {},
      env: { PUBLISHER_STORE: 'postgres', PUBLISHER_DATABASE_URL: PG },
      demo: true,
      expected: { kind: 'postgres', from: 'PUBLISHER_DATABASE_URL' },
    },
    {
      case: 'a database URL without PUBLISHER_STORE=postgres',
      flags: {},
      env: { PUBLISHER_DATABASE_URL: PG },
      demo: false,
      expected: { path: DEFAULT_OUTBOX },
    },
    {
      case: 'PUBLISHER_OUTBOX_PATH over the demo',
      flags: {},
      env: { PUBLISHER_OUTBOX_PATH: 'b.sqlite' },
      demo: true,
      expected: { path: 'b.sqlite', from: 'PUBLISHER_OUTBOX_PATH' },
    },
    { case: 'the demo, when .demo/ has an outbox', flags: {}, env: {}, demo: true, expected: { path: DEMO_OUTBOX } },
    { case: 'the default otherwise', flags: {}, env: {}, demo: false, expected: { path: DEFAULT_OUTBOX, from: 'the default' } },
  ])('$case', ({ flags, env, demo, expected }) => {
    expect(chooseOutbox(flags, env, demo)).toMatchObject(expected);
  });

  it('names the file it used, and never prints a database URL', () => {
    expect(describeOutboxChoice(chooseOutbox({}, {}, true))).toBe(`outbox: ${DEMO_OUTBOX} (from the demo's state directory)`);
    expect(describeOutboxChoice(chooseOutbox({ databaseUrl: PG }, {}, true))).not.toContain('secret');
  });

  it('says which outbox it read on the side, so that --json output stays JSON', async () => {
    const file = path.join(tempDir('dead-letter-cli'), 'outbox.sqlite');
    await sqliteOutbox({ database: file }).close();
    for (const run of [
      (out: (l: string) => void, note: (l: string) => void) => runDeadLetterCli(['list', '--json', '--outbox', file], {}, out, note),
      (out: (l: string) => void, note: (l: string) => void) => runDualPathCli(['--json', '--outbox', file], {}, out, Date.now(), note),
    ]) {
      const out: string[] = [];
      const notes: string[] = [];
      await run(
        (line) => out.push(line),
        (line) => notes.push(line),
      );
      expect(() => JSON.parse(out.join('\n'))).not.toThrow();
      expect(notes).toEqual([`outbox: ${file} (from --outbox)`]);
    }
  });
});
