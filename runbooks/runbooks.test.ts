// Every runbook command must work in both worlds: the scripts, CLI flags, files and compose services
// it names exist, and each demo-only command (pgrep, .demo/) has its `docker compose …` form beside it.
// Reads runbooks/**/*.md as they are now, so a new runbook is checked the moment it lands.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadRuleFile, ruleFilePaths } from '../observability/load-rule-files.ts';
import { REPO_ROOT } from '../observability/repo-root.ts';
import {
  composeServicesOf,
  handStartedProcess,
  npmRuns,
  type RepoFacts,
  repoPaths,
  runbookProblems,
  shellCommands,
} from './runbook-commands.ts';

const read = (p: string) => readFileSync(path.join(REPO_ROOT, p), 'utf8');

/** The file a script runs: the one after `--run`, else the last .ts/.mjs on its command line. */
function entryFile(command: string): string | undefined {
  const words = command.split(/\s+/);
  const run = words.indexOf('--run');
  if (run >= 0) return words[run + 1];
  return words.filter((w) => /\.(ts|mjs)$/.test(w) && !w.startsWith('./app/telemetry/preload')).at(-1);
}

/** Option names declared for node:util parseArgs in the entry file and the files it imports directly. */
function cliFlags(entry: string): Set<string> {
  const flags = new Set<string>();
  const files = [entry];
  const source = read(entry);
  for (const m of source.matchAll(/from '(\.{1,2}\/[^']+\.ts)'/g)) files.push(path.join(path.dirname(entry), m[1]!));
  for (const file of files) {
    if (!existsSync(path.join(REPO_ROOT, file))) continue;
    for (const m of read(file).matchAll(/(?:^|[{,])\s*'?([a-z][\w-]*)'?:\s*\{\s*type:\s*'(?:string|boolean)'([^}]*)\}/gm)) {
      flags.add(m[1]!);
      const short = /short:\s*'(\w)'/.exec(m[2]!)?.[1];
      if (short) flags.add(short);
    }
  }
  return flags;
}

function repoFacts(): RepoFacts {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const compose = ['compose/docker-compose.yml', 'compose/docker-compose.drill.yml'].flatMap((f) =>
    Object.keys((parse(read(f)) as { services: Record<string, unknown> }).services),
  );
  return {
    scripts: new Map(
      Object.entries(scripts).map(([name, command]) => {
        const entry = entryFile(command);
        return [name, entry && existsSync(path.join(REPO_ROOT, entry)) ? cliFlags(entry) : new Set<string>()];
      }),
    ),
    composeServices: new Set(compose),
    alerts: new Set(
      ruleFilePaths().flatMap((p) => loadRuleFile(p).groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])))),
    ),
    fileExists: (p) => existsSync(path.join(REPO_ROOT, p)),
  };
}

function runbookFiles(dir = 'runbooks'): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? runbookFiles(path.join(dir, e.name)) : e.name.endsWith('.md') ? [path.join(dir, e.name)] : []))
    .sort();
}

describe('runbook commands', () => {
  const facts = repoFacts();

  it('knows the flags of our CLIs (the facts the check rests on)', () => {
    expect([...facts.scripts.get('dead-letters')!]).toEqual(expect.arrayContaining(['outbox', 'all', 'json']));
    expect([...facts.scripts.get('drill')!]).toEqual(expect.arrayContaining(['all', 'state-dir']));
    expect([...facts.scripts.get('demo')!]).toEqual(expect.arrayContaining(['topology', 'rate', 'fresh']));
    expect([...facts.scripts.get('chaos')!]).toEqual(expect.arrayContaining(['transport', 'fault', 'events']));
    expect([...facts.scripts.get('load')!]).toEqual(expect.arrayContaining(['preset', 'rate']));
    expect([...facts.composeServices]).toEqual(
      expect.arrayContaining(['gateway', 'publisher', 'consumer', 'nats', 'prometheus', 'alertmanager']),
    );
  });

  it.each(runbookFiles())('%s: every script, flag, file and compose service exists, and each demo command has its compose form', (file) => {
    expect(runbookProblems(file, read(file), facts)).toEqual([]);
  });
});

describe('runbook command checks (they can fail)', () => {
  const facts: RepoFacts = {
    scripts: new Map([
      ['dead-letters', new Set(['outbox', 'all'])],
      ['drill', new Set(['all'])],
    ]),
    composeServices: new Set(['gateway', 'publisher']),
    alerts: new Set(['WebhookGatewayDown']),
    fileExists: (p) => p === 'compose/docker-compose.yml',
  };
  const sh = (...lines: string[]) => `# X\n\n\`\`\`sh\n${lines.join('\n')}\n\`\`\`\n`;
  const problems = (md: string) => runbookProblems('x.md', md, facts);

  it('accepts a demo command with its compose form', () =>
    expect(
      problems(
        sh(
          'tail -n 30 .demo/logs/gateway.log',
          'docker compose -f compose/docker-compose.yml logs --tail 30 gateway',
          'npm run dead-letters -- replay --all --outbox .demo/publisher/outbox.sqlite',
        ),
      ),
    ).toEqual([]));
  it('finds a demo command without a compose form', () =>
    expect(problems(sh('pgrep -af app/gateway/main.ts')).join()).toContain('no compose form'));
  it('finds an unknown script, flag, alert, service and file', () => {
    const found = problems(
      sh(
        'npm run deadletters -- list',
        'npm run dead-letters -- replay --everything',
        'npm run -s drill -- WebhookGatewayGone',
        'docker compose logs --tail 5 gatway',
        'docker compose exec -T publisher node app/publisher/nope.ts',
      ),
    ).join('\n');
    expect(found).toContain('`npm run deadletters` is not a script');
    expect(found).toContain('has no flag --everything');
    expect(found).toContain('no alert WebhookGatewayGone');
    expect(found).toContain('compose service gatway does not exist');
    expect(found).toContain('app/publisher/nope.ts does not exist');
    expect(found).not.toContain('service publisher');
  });
  it('finds nats-server or a service started by hand in the background, outside the demo', () => {
    const found = problems(sh('$NATS_CMD >> .demo/nats/nats-0.log 2>&1 &', 'docker compose start nats')).join();
    expect(found).toContain('starts nats by hand');
    expect(found).toContain('npm run demo:restart -- nats');
  });

  it.each([
    ['$NATS_CMD >> .demo/nats/nats-0.log 2>&1 &', 'nats'],
    ['nats-server -c .demo/nats/nats-0.conf &', 'nats'],
    ['/usr/sbin/nats-server -js & # a comment', 'nats'],
    ['env $(cat .demo/nats/consumer.env) node --env-file=x app/consumer/main.ts >> .demo/logs/consumer.log 2>&1 &', 'consumer'],
    ['npm run demo:restart -- nats', undefined],
    ['kill $(pgrep -f nats-server) && sleep 2', undefined],
    ['nats-server --version', undefined],
    ["pgrep -af 'nats-server -c'", undefined],
  ])('hand-started process in %s', (line, started) => expect(handStartedProcess(line)).toBe(started));

  it('reads inline commands outside blocks too', () =>
    expect(problems('Run `npm run dead-letters -- list --since 1h` first.').join()).toContain('--since'));

  it.each([
    ['docker compose -f compose/docker-compose.yml logs --tail 30 gateway publisher', ['gateway', 'publisher']],
    ['docker compose restart gateway-1 # the first replica', ['gateway-1']],
    ['docker compose exec -T publisher npm run dead-letters -- list', ['publisher']],
    ['docker compose logs --no-log-prefix gateway | grep -v "^{" | tail', ['gateway']],
    ['docker compose run --rm nats-provision', ['nats-provision']],
    ['docker compose ps', []],
    ['curl -s http://127.0.0.1:3000/health/all', []],
  ])('compose services in %s', (line, services) => expect(composeServicesOf(line)).toEqual(services));

  it.each([
    [
      'npm run -s dead-letters -- replay --all --outbox x && npm run drill -- A',
      [
        { script: 'dead-letters', args: ['replay', '--all', '--outbox', 'x'] },
        { script: 'drill', args: ['A'] },
      ],
    ],
    ['env $(cat .demo/nats/gateway.env) npm run -s gateway >> .demo/logs/gateway.log 2>&1 &', [{ script: 'gateway', args: [] }]],
    ['# npm run demo, in a comment', []],
  ])('npm runs in %s', (line, runs) => expect(npmRuns(line)).toEqual(runs));

  it('joins continued lines and ignores non-shell blocks', () => {
    const md = '```sh\ndocker compose logs \\\n  gateway\n```\n```promql\nup{job="x"} == 0\n```\n';
    expect(shellCommands(md)).toEqual([{ line: 'docker compose logs gateway', block: 0 }]);
    expect(repoPaths('cat alerts/event-bus.rules.yml .demo/logs/x.log /data/outbox.sqlite')).toEqual(['alerts/event-bus.rules.yml']);
  });
});
