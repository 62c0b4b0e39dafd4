// `npm run dual:compare -- [--outbox PATH] [--since 10m] [--json]`: the dual-publish comparison.
// Exit code 1 when any event arrived through one path only: the cutover must wait. The outbox: --outbox,
// else $PUBLISHER_OUTBOX_PATH, else the demo's when .demo/ has one, else data/publisher/outbox.sqlite.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chooseOutbox, DEMO_OUTBOX, describeOutboxChoice } from './dead-letter-cli.ts';
import { summarizeDualPaths } from './dual-path.ts';
import { sqliteOutbox } from './store/sqlite-outbox.ts';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export async function runDualPathCli(
  argv: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void,
  now = Date.now(),
  note: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { outbox: { type: 'string' }, since: { type: 'string', default: '1h' }, json: { type: 'boolean' } },
  });
  const match = /^(\d+)([smhd])$/.exec(values.since);
  if (!match) {
    out(`--since must look like 30m, 24h or 7d, got "${values.since}"`);
    return 2;
  }
  // The comparison reads the SQLite outbox only: the PostgreSQL variables are not looked at.
  const choice = chooseOutbox({ outbox: values.outbox }, { PUBLISHER_OUTBOX_PATH: env.PUBLISHER_OUTBOX_PATH }, existsSync(DEMO_OUTBOX));
  if (choice.kind !== 'sqlite' || !existsSync(choice.path)) {
    out(
      `no outbox at ${describeOutboxChoice(choice).slice('outbox: '.length)}: set --outbox or PUBLISHER_OUTBOX_PATH, or start the demo (npm run demo)`,
    );
    return 2;
  }
  note(describeOutboxChoice(choice));
  const outbox = sqliteOutbox({ database: choice.path });
  try {
    const summary = summarizeDualPaths(await outbox.dualPathsSince(now - Number(match[1]) * UNITS[match[2]!]!));
    if (values.json) out(JSON.stringify(summary));
    else {
      out(
        `dual-publish comparison over the last ${values.since}: ${summary.compared} event(s), ${summary.both} both ways, ${summary.webhookOnly} webhook only, ${summary.natsOnly} NATS only`,
      );
      if (summary.differenceMs)
        out(
          `NATS minus webhook acknowledgement: p50 ${summary.differenceMs.p50} ms, p95 ${summary.differenceMs.p95} ms, p99 ${summary.differenceMs.p99} ms (negative: NATS faster)`,
        );
      for (const id of summary.oneWayIds.slice(0, 20)) out(`one way only: ${id}`);
      out(
        summary.clean
          ? summary.compared
            ? 'CLEAN: every event arrived through both paths'
            : 'NO DATA: nothing was sent in dual mode in this period'
          : 'NOT CLEAN: replay or investigate the events above before cutting over',
      );
    }
    return summary.clean && summary.compared > 0 ? 0 : 1;
  } finally {
    await outbox.close();
  }
}

if (import.meta.main)
  process.exitCode = await runDualPathCli(
    process.argv.slice(2),
    process.env,
    (line) => console.log(line),
    Date.now(),
    (line) => console.error(line),
  );
