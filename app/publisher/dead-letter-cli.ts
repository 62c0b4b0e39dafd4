// Dead-letter operations from a shell, working directly on the outbox file (safe while the publisher
// runs: SQLite WAL, and the delivery loop picks replayed events up on its next poll).
//
//   npm run dead-letters -- list [--limit N]
//   npm run dead-letters -- show <event-id>
//   npm run dead-letters -- replay <event-id> [<event-id> ...]
//   npm run dead-letters -- replay --all
// Options: --outbox PATH (default: $PUBLISHER_OUTBOX_PATH, else data/publisher/outbox.sqlite), or
// --database-url URL (default: $PUBLISHER_DATABASE_URL when PUBLISHER_STORE=postgres), --json
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openConfiguredStore } from './store/open-store.ts';

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

export async function runDeadLetterCli(
  argv: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void,
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
  const databaseUrl = values['database-url'] ?? (env.PUBLISHER_STORE === 'postgres' ? env.PUBLISHER_DATABASE_URL : undefined);
  const file = values.outbox ?? env.PUBLISHER_OUTBOX_PATH ?? 'data/publisher/outbox.sqlite';
  if (!databaseUrl && !existsSync(file)) {
    out(`no outbox at ${file} (set --outbox or PUBLISHER_OUTBOX_PATH)`);
    return 1;
  }
  const where = databaseUrl ? 'the PostgreSQL outbox' : file;
  const outbox = await openConfiguredStore(databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'sqlite', path: file });
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

if (import.meta.main) process.exitCode = await runDeadLetterCli(process.argv.slice(2), process.env, (line) => console.log(line));
