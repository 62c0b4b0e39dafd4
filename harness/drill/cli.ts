// `npm run drill -- <AlertName…> | --all [--time-scale N] [--settle-timeout S] [--control-url URL] [--state-dir DIR] [--out DIR]`
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CONTROL_URL } from '../demo/options.ts';
import { REPO_ROOT } from '../stack/service.ts';
import { DRILLS } from './drills.ts';
import { drillMarkdown, runDrill, type DrillResult } from './run-drill.ts';
import { connectToDemo, startDrillStack, type DrillTarget } from './target.ts';

const USAGE = `npm run drill -- <AlertName> [<AlertName> …] | --all [options]

For each alert: inject the fault that should raise it, wait until it fires in Alertmanager (time
to detect), print the runbook's Diagnosis and Mitigation, apply the mitigation, wait until it
resolves; then wait until every other alert the fault set off has resolved too (burn-rate pages
clear once their short window has passed), and list any still firing with what clears it. Runs
against the running demo (npm run demo) when its control API answers, else starts
its own stack. Writes drill.json and drill.md to --out.

  --all              every alert: ${DRILLS.map((d) => d.alert).join(', ')}
  --time-scale N     start a private stack whose alert rules are scaled down N times (for: and
                     windows divided by N, thresholds unchanged), e.g. 10 for a quick rehearsal
  --settle-timeout S how long to wait, after the drilled alert resolved, for the other alerts it set
                     off (default: the resolve timeout, about 13 min with the real rules)
  --control-url URL  the demo's control API (default ${DEFAULT_CONTROL_URL})
  --state-dir DIR    the demo's state directory, whose admin-token file holds the token of its
                     control and admin APIs (default .demo)
  --out DIR          where to write the report (default drill-results)
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    all: { type: 'boolean', default: false },
    'time-scale': { type: 'string', default: '1' },
    'settle-timeout': { type: 'string' },
    'control-url': { type: 'string', default: DEFAULT_CONTROL_URL },
    'state-dir': { type: 'string', default: '.demo' },
    out: { type: 'string', default: 'drill-results' },
    help: { type: 'boolean', short: 'h' },
  },
});
const drills = values.all ? DRILLS : DRILLS.filter((d) => positionals.includes(d.alert));
const unknown = positionals.filter((p) => !DRILLS.some((d) => d.alert === p));
if (values.help || drills.length === 0 || unknown.length) {
  if (unknown.length) process.stderr.write(`drill: no drill for ${unknown.join(', ')}\n`);
  process.stdout.write(USAGE);
  process.exit(values.help ? 0 : 2);
}
const timeScale = Number(values['time-scale']);
let target: DrillTarget | undefined =
  timeScale === 1 ? await connectToDemo(values['control-url'], path.resolve(REPO_ROOT, values['state-dir'])) : undefined;
if (target) console.log(`drilling the running demo (${values['control-url']})`);
else {
  console.log(
    `starting a private stack${timeScale > 1 ? ` with the alert rules scaled down ${timeScale}x` : ' with the real alert rules'} ...`,
  );
  target = await startDrillStack({ timeScale });
}
const results: DrillResult[] = [];
try {
  const settle = values['settle-timeout'];
  const settleTimeoutMs = settle === undefined ? undefined : Number(settle) * 1000;
  for (const drill of drills) results.push(await runDrill(target, drill, console.log, { settleTimeoutMs }));
} finally {
  await target.close();
}
mkdirSync(values.out, { recursive: true });
writeFileSync(path.join(values.out, 'drill.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(path.join(values.out, 'drill.md'), drillMarkdown(results));
process.stdout.write(`\n${drillMarkdown(results)}`);
process.exitCode = results.every((r) => r.pass) ? 0 : 1;
