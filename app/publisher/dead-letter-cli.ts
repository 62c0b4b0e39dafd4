// Dead-letter operations from a shell, working directly on the outbox file (safe while the publisher
// runs: SQLite WAL, and the delivery loop picks replayed events up on its next poll).
//
//   npm run dead-letters -- list [--limit N]
//   npm run dead-letters -- show <event-id>
//   npm run dead-letters -- replay <event-id> [<event-id> ...]
//   npm run dead-letters -- replay --all
// Options: --outbox PATH (default: $PUBLISHER_OUTBOX_PATH, else data/publisher/outbox.sqlite), --json
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openOutbox } from './outbox.ts';

const USAGE = `usage: npm run dead-letters -- <list [--limit N] | show <id> | replay <id...> | replay --all> [--outbox PATH] [--json]`;

export function runDeadLetterCli(argv: string[], env: Record<string, string | undefined>, out: (line: string) => void): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { outbox: { type: 'string' }, limit: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
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
  const file = values.outbox ?? env.PUBLISHER_OUTBOX_PATH ?? 'data/publisher/outbox.sqlite';
  if (!existsSync(file)) {
    out(`no outbox at ${file} (set --outbox or PUBLISHER_OUTBOX_PATH)`);
    return 1;
  }
  const outbox = openOutbox(file);
  try {
    switch (command) {
      case 'list': {
        const rows = outbox.listDeadLetters(Number(values.limit ?? 100));
        if (values.json) out(JSON.stringify(rows.map(({ body: _b, ...row }) => row)));
        else {
          out(`${outbox.deadLetterDepth()} dead letter(s) in ${file}`);
          for (const r of rows) out(`${r.id}  ${r.type}  attempts=${r.attempts}  last_status=${r.last_status ?? '-'}  reason=${r.reason}  at=${new Date(r.dead_lettered_at).toISOString()}`);
        }
        return 0;
      }
      case 'show': {
        const row = ids[0] ? outbox.getDeadLetter(ids[0]) : undefined;
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
        const replayed = values.all ? outbox.replayAll(Date.now()) : outbox.replay(ids, Date.now());
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
    outbox.close();
  }
}

if (import.meta.main) process.exitCode = runDeadLetterCli(process.argv.slice(2), process.env, (line) => console.log(line));
