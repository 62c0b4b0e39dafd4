// `npm run demo:restart -- <gateway|publisher|consumer|nats> [KEY=VALUE…]`: restarts one of the running
// demo's processes through its control API, so it comes back with the demo's own settings (secrets,
// admin token, NATS credentials, log file) and inside the demo, which stops it on Ctrl-C. What the
// runbooks' "restart it" steps run against the demo. KEY=VALUE adds what a drill may add (control.ts
// DRILL_ENV, e.g. CONSUMER_HANDLER_DELAY_MS=100); the control API refuses anything else.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectToDemo } from '../drill/target.ts';
import { REPO_ROOT } from '../stack/service.ts';
import { CONTROLLED, type Controlled } from './control.ts';
import { DEFAULT_CONTROL_URL } from './options.ts';

const USAGE = `npm run demo:restart -- <${CONTROLLED.join('|')}> [KEY=VALUE …] [--control-url URL] [--state-dir DIR]\n`;
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'control-url': { type: 'string', default: DEFAULT_CONTROL_URL },
    'state-dir': { type: 'string', default: '.demo' },
    help: { type: 'boolean', short: 'h' },
  },
});
const [service, ...assignments] = positionals as [Controlled | undefined, ...string[]];
const env = Object.fromEntries(assignments.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
if (values.help || !CONTROLLED.includes(service!) || assignments.some((a) => !/^[A-Z_][A-Z0-9_]*=/.test(a))) {
  process.stdout.write(USAGE);
  process.exit(values.help ? 0 : 2);
}
const demo = await connectToDemo(values['control-url'], path.resolve(REPO_ROOT, values['state-dir']));
if (!demo) {
  console.error(
    `demo:restart: no demo answers at ${values['control-url']} with the token in ${values['state-dir']}: start it with npm run demo`,
  );
  process.exit(1);
}
try {
  await demo.start(service!, env);
} catch (err) {
  console.error(`demo:restart: ${(err as Error).message}`);
  process.exit(1);
}
console.log(`${service} restarted inside the demo, with its settings${assignments.length ? ` and ${assignments.join(' ')}` : ''}`);
