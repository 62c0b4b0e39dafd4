// Dead-letter operations from a shell, working directly on the outbox file (safe while the publisher
// runs: SQLite WAL, and the delivery loop picks replayed events up on its next poll).
//
//   npm run dead-letters -- list [--limit N]
//   npm run dead-letters -- show <event-id>
//   npm run dead-letters -- replay <event-id> [<event-id> ...]
//   npm run dead-letters -- replay --all
// Options: --outbox PATH or --database-url URL; else $PUBLISHER_DATABASE_URL (when PUBLISHER_STORE=postgres)
// or $PUBLISHER_OUTBOX_PATH; else the demo's outbox when .demo/ has one; else data/publisher/outbox.sqlite. --json
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openConfiguredStore } from './store/open-store.ts';

/** Where `npm run demo` keeps its outbox (its default state directory), relative to the repository. */
export const DEMO_OUTBOX = '.demo/publisher/outbox.sqlite';
export const DEFAULT_OUTBOX = 'data/publisher/outbox.sqlite';

export type OutboxChoice = { kind: 'postgres'; url: string; from: string } | { kind: 'sqlite'; path: string; from: string };

/**
 * Which outbox the CLIs open: what the command line says, then the environment the publisher itself
 * reads, then the running demo's (run from the repository, `npm run demo` then `npm run dead-letters`
 * just works), then the publisher's default. `from` says which, for the line the CLI prints.
 */
export function chooseOutbox(
  flags: { outbox?: string; databaseUrl?: string },
  env: Record<string, string | undefined>,
  demoOutboxExists: boolean,
): OutboxChoice {
  if (flags.databaseUrl) return { kind: 'postgres', url: flags.databaseUrl, from: '--database-url' };
  if (flags.outbox) return { kind: 'sqlite', path: flags.outbox, from: '--outbox' };
  if (env.PUBLISHER_STORE === 'postgres' && env.PUBLISHER_DATABASE_URL)
    return { kind: 'postgres', url: env.PUBLISHER_DATABASE_URL, from: 'PUBLISHER_DATABASE_URL' };
  if (env.PUBLISHER_OUTBOX_PATH) return { kind: 'sqlite', path: env.PUBLISHER_OUTBOX_PATH, from: 'PUBLISHER_OUTBOX_PATH' };
  if (demoOutboxExists) return { kind: 'sqlite', path: DEMO_OUTBOX, from: "the demo's state directory" };
  return { kind: 'sqlite', path: DEFAULT_OUTBOX, from: 'the default' };
}

/** The line that says which outbox was used; never a database URL, which may hold a password. */
export function describeOutboxChoice(choice: OutboxChoice): string {
  return choice.kind === 'postgres' ? `outbox: PostgreSQL (from ${choice.from})` : `outbox: ${choice.path} (from ${choice.from})`;
}

const USAGE = `usage: npm run dead-letters -- <list [--limit N] | show <id> | replay <id...> | replay --all> [--outbox PATH | --database-url URL] [--json]`;

const parseDeadLetterArgs = (argv: string[]) =>
  parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      outbox: { type: 'string' },
      'database-url': { type: 'string' },
      limit: { type: 'string' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });

/** `note`: the line saying which outbox was used, kept off `out` so that --json and show stay parseable. */
export async function runDeadLetterCli(
  argv: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void,
  note: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<number> {
  let parsed: ReturnType<typeof parseDeadLetterArgs>;
  try {
    parsed = parseDeadLetterArgs(argv);
  } catch (err) {
    out(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...ids] = positionals;
  if (values.help || !command) {
    out(USAGE);
    return values.help ? 0 : 2;
  }
  const choice = chooseOutbox({ outbox: values.outbox, databaseUrl: values['database-url'] }, env, existsSync(DEMO_OUTBOX));
  if (choice.kind === 'sqlite' && !existsSync(choice.path)) {
    out(`no outbox at ${choice.path} (from ${choice.from}): set --outbox or PUBLISHER_OUTBOX_PATH, or start the demo (npm run demo)`);
    return 1;
  }
  note(describeOutboxChoice(choice));
  const where = choice.kind === 'postgres' ? 'the PostgreSQL outbox' : choice.path;
  const outbox = await openConfiguredStore(choice);
  try {
    switch (command) {
      case 'list': {
        const rows = await outbox.listDeadLetters(Number(values.limit ?? 100), 0);
        if (values.json) out(JSON.stringify(rows.map(({ body: _b, ...row }) => row)));
        else {
          out(`${(await outbox.counts()).deadLetter} dead letter(s) in ${where}`);
          for (const r of rows)
            out(
              `${r.id}  ${r.type}  attempts=${r.attempts}  last_status=${r.last_status ?? '-'}  reason=${r.reason}  at=${new Date(r.dead_lettered_at).toISOString()}`,
            );
        }
        return 0;
      }
      case 'show': {
        const row = ids[0] ? await outbox.getDeadLetter(ids[0]) : undefined;
        if (!row) {
          out(`no dead letter ${ids[0] ?? '(missing id)'}`);
          return 1;
        }
        out(JSON.stringify({ ...row, body: JSON.parse(row.body) }, null, 2));
        return 0;
      }
      case 'replay': {
        if (!values.all && ids.length === 0) {
          out(`replay needs event ids or --all\n${USAGE}`);
          return 2;
        }
        const replayed = await outbox.replay(values.all ? 'all' : ids, Date.now());
        const missing = values.all ? [] : ids.filter((id) => !replayed.includes(id));
        if (values.json) out(JSON.stringify({ replayed, missing }));
        else {
          out(`replayed ${replayed.length} event(s) into the outbox, keeping their webhook-id`);
          for (const id of missing) out(`not found: ${id}`);
        }
        return missing.length ? 1 : 0;
      }
      default:
        out(`unknown command "${command}"\n${USAGE}`);
        return 2;
    }
  } finally {
    await outbox.close();
  }
}

if (import.meta.main)
  process.exitCode = await runDeadLetterCli(
    process.argv.slice(2),
    process.env,
    (line) => console.log(line),
    (line) => console.error(line),
  );
