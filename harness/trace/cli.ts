// `npm run trace -- <event id> [options]`: where one event is, from the publisher to each consumer.
import { parseArgs } from 'node:util';
import { renderTrace } from './render.ts';
import { traceSources } from './sources.ts';
import { traceEvent } from './trace.ts';

const USAGE = `npm run trace -- <event id> [options]

Follows one event through the running demo (npm run demo): the publisher's outcome (delivered,
retrying, dead-lettered) and its outbox, each gateway's answer with the JetStream sequence and
subject, and each consumer's inbox row.

  --state-dir DIR       the demo's state directory (default .demo): its admin-token, outbox and inbox
  --outbox PATH         the publisher's outbox (default $PUBLISHER_OUTBOX_PATH, else the demo's)
  --inbox PATH          the consumers' inbox (default $CONSUMER_DB_PATH, else the demo's)
  --publisher-port N    --gateway-port N  --topology single|cluster   as given to npm run demo
  --json                the gathered trace as JSON
The admin token is $ADMIN_TOKEN, else the one in the state directory.
`;

const parse = () =>
  parseArgs({
    allowPositionals: true,
    options: {
      'state-dir': { type: 'string' },
      outbox: { type: 'string' },
      inbox: { type: 'string' },
      'publisher-port': { type: 'string' },
      'gateway-port': { type: 'string' },
      topology: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
let parsed: ReturnType<typeof parse>;
try {
  parsed = parse();
} catch (err) {
  process.stderr.write(`trace: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (values.help || positionals.length !== 1) {
  process.stdout.write(USAGE);
  process.exit(values.help ? 0 : 2);
}
const { json, help: _help, ...flags } = values;
let found: ReturnType<typeof traceSources>;
try {
  found = traceSources(flags, process.env);
} catch (err) {
  process.stderr.write(`trace: ${(err as Error).message}\n`);
  process.exit(2);
}
for (const note of found.notes) process.stderr.write(`${note}\n`);
const trace = await traceEvent(positionals[0]!, found.sources);
// A stopped demo keeps its files, which still say something: the trace is printed all the same.
if (!trace.publisher.ok && trace.gateways.every((g) => !g.record.ok))
  process.stderr.write(
    `No demo answers at ${found.sources.publisherUrl} with an admin token (${trace.publisher.reason}): start it with npm run demo.\n`,
  );
if (json) console.log(JSON.stringify(trace, null, 2));
else for (const line of renderTrace(trace)) console.log(line);
