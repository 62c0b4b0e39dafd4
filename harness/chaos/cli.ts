// `npm run chaos -- [--design ours|phase1-naive|both] [--fault gateway|publisher|nats-node|partition|none]
//                   [--store sqlite|postgres] [--publishers N] [--events N] [--rate R] [--interval S] [--downtime S] [--out DIR]`
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TRANSPORT_MODES, transportModeSchema } from '../../app/publisher/transport.ts';
import { writeChaosReport } from './report.ts';
import { DESIGNS, FAULTS, runChaos, STORES, type ChaosRun, type Design, type Fault } from './run.ts';

const USAGE = `npm run chaos -- [options]

Runs nats-server, the gateway, the consumers and the publisher under open-model load while a
nemesis injects faults; records every event; checks after the drain that nothing acknowledged was
lost. Writes chaos.json, chaos.md and a timeline chart to --out.

  --design D     ours (default), phase1-naive (the Phase 1 design as first written), or both
  --fault F      gateway (SIGKILL, default), publisher, gateway+publisher (the publisher dies while
                 the gateway is down), nats-node (cluster), publisher+nats-node (cluster),
                 partition (fault proxy), none
  --transport T  the publisher's transport mode: webhook (default), dual or nats (Phase 2)
  --store S      the publisher's outbox: sqlite (default) or postgres (a PostgreSQL server the
                 publishers share; design ours only)
  --publishers N publisher instances (default 1; more than one needs --store postgres): the load
                 goes round robin over them (a refused call is retried once on the next), and the
                 publisher faults kill them in turn
  --events N     events to send (default 2000)
  --rate R       events per second (default 50)
  --interval S   seconds between faults (default 5)
  --downtime S   seconds each fault lasts (default 2)
  --out DIR      where to write the report (default chaos-results)
`;

const { values } = parseArgs({
  options: {
    design: { type: 'string', default: 'ours' },
    fault: { type: 'string', default: 'gateway' },
    transport: { type: 'string', default: 'webhook' },
    store: { type: 'string', default: 'sqlite' },
    publishers: { type: 'string', default: '1' },
    events: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '50' },
    interval: { type: 'string', default: '5' },
    downtime: { type: 'string', default: '2' },
    out: { type: 'string', default: 'chaos-results' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const designs = values.design === 'both' ? [...DESIGNS] : [values.design as Design];
if (!designs.every((d) => DESIGNS.includes(d)) || !FAULTS.includes(values.fault as Fault)) {
  process.stderr.write(`chaos: unknown --design or --fault\n${USAGE}`);
  process.exit(2);
}
const store = values.store as (typeof STORES)[number];
const publishers = Number(values.publishers);
if (!STORES.includes(store) || !Number.isInteger(publishers) || publishers < 1) {
  process.stderr.write(`chaos: --store must be sqlite or postgres, --publishers a positive integer\n${USAGE}`);
  process.exit(2);
}
if (publishers > 1 && store !== 'postgres') {
  process.stderr.write('chaos: several publishers share one outbox only with --store postgres\n');
  process.exit(2);
}
if (store !== 'sqlite' && designs.includes('phase1-naive')) {
  process.stderr.write('chaos: design phase1-naive has no durable outbox; --store postgres applies to design ours only\n');
  process.exit(2);
}
const transportMode = transportModeSchema.safeParse(values.transport);
if (!transportMode.success) {
  process.stderr.write(`chaos: --transport must be one of ${TRANSPORT_MODES.join(', ')}\n${USAGE}`);
  process.exit(2);
}
mkdirSync(values.out, { recursive: true });
const runs: ChaosRun[] = [];
for (const design of designs) {
  runs.push(
    await runChaos({
      dir: mkdtempSync(path.join(tmpdir(), `chaos-${design}-`)),
      design,
      fault: values.fault as Fault,
      transportMode: transportMode.data,
      store,
      publishers,
      events: Number(values.events),
      rate: Number(values.rate),
      faultIntervalMs: Number(values.interval) * 1000,
      downtimeMs: Number(values.downtime) * 1000,
      drainTimeoutMs: 180_000,
      log: (line) => console.log(`[${design}] ${line}`),
    }),
  );
}
const files = writeChaosReport(runs, values.out);
for (const run of runs) {
  const r = run.result;
  console.log(
    `${run.options.design} (store ${run.options.store}, ${run.options.publishers} publisher(s), ${run.faults.length} fault(s)): ${r.valid ? 'VALID' : 'INVALID'}  acknowledged ${r.acknowledged}/${r.attempted}  ` +
      r.consumers
        .map(
          (c) =>
            `${c.consumer}: delivered ${c.delivered} lost ${c.lost} dup ${c.duplicated} recovered ${c.recovered} dlq ${c.deadLettered}`,
        )
        .join('  '),
  );
}
console.log(`wrote ${files.join(', ')}`);
process.exitCode = runs.every((r) => r.result.valid) || designs.includes('phase1-naive') ? 0 : 1;
