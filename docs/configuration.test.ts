// Keeps docs/configuration.md and the .env.example files true: the variables are the parsers' own
// keys (read from the zod schemas), the defaults are the schemas' defaults, every template parses,
// every file and test the guide names exists, and the manual test cases give, against a real stack,
// the answers the guide writes under them.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ensureNatsCredentials, type NatsCredentials } from '../app/bus/pki.ts';
import { parseProvisionConfig, schema as provisionSchema } from '../app/bus/provision-config.ts';
import { natsClientEnv } from '../app/config/nats-settings.ts';
import { CONSUMER_SECRETS, parseConsumerConfig, schema as consumerSchema } from '../app/consumer/config.ts';
import { GATEWAY_SECRETS, parseGatewayConfig, schema as gatewaySchema } from '../app/gateway/config.ts';
import { PUBLISHER_SECRETS, parsePublisherConfig, schema as publisherSchema } from '../app/publisher/config.ts';
import { newSecret, tempDir } from '../harness/integration/support.ts';
import { startStack, type Stack } from '../harness/stack/stack.ts';
import { REPO_ROOT } from '../observability/repo-root.ts';
import { absentTests, citedTests, codeSpans, missingPaths, namedPaths } from './guide-references.ts';

const GUIDE_FILE = path.join(REPO_ROOT, 'docs', 'configuration.md');
const guide = readFileSync(GUIDE_FILE, 'utf8');

type Fields = Record<string, z.ZodType>;
type ServiceConfig = {
  /** As the guide names it: the `<!-- variables: … -->` marker and the secret-files row. */
  id: string;
  template: string;
  fields: Fields;
  secrets: readonly string[];
  parse: (env: Record<string, string | undefined>) => unknown;
  /** Whose nkey seed the template must name. */
  identity: string;
};

const SERVICES: ServiceConfig[] = [
  {
    id: 'gateway',
    template: 'app/gateway/.env.example',
    fields: gatewaySchema.shape,
    secrets: GATEWAY_SECRETS,
    parse: parseGatewayConfig,
    identity: 'gateway',
  },
  {
    id: 'publisher',
    template: 'app/publisher/.env.example',
    fields: publisherSchema.shape,
    secrets: PUBLISHER_SECRETS,
    parse: parsePublisherConfig,
    identity: 'publisher',
  },
  {
    id: 'consumer',
    template: 'app/consumer/.env.example',
    fields: consumerSchema.shape,
    secrets: CONSUMER_SECRETS,
    parse: parseConsumerConfig,
    identity: 'consumer',
  },
  {
    id: 'nats:provision',
    template: 'app/bus/.env.example',
    fields: provisionSchema.shape,
    // The provisioning step reads no secret files.
    secrets: [],
    parse: parseProvisionConfig,
    identity: 'provisioner',
  },
];

const NATS_FIELDS: Fields = natsClientEnv;
const sorted = (names: Iterable<string>) => [...new Set(names)].sort();
const accepted = (s: ServiceConfig) => sorted([...Object.keys(s.fields), ...s.secrets.map((name) => `${name}_FILE`)]);

// ---------------------------------------------------------------- reading the guide (pure)

const VARIABLE = /^[A-Z][A-Z0-9_]*$/;

/** The rows of the table right after `<!-- variables: id -->`, as cells, header and rule dropped. */
function markedTable(markdown: string, id: string): string[][] {
  const lines = markdown.split('\n');
  const at = lines.findIndex((line) => line.trim() === `<!-- variables: ${id} -->`);
  if (at < 0) throw new Error(`no <!-- variables: ${id} --> marker`);
  const rows: string[][] = [];
  for (const line of lines.slice(at + 1)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  return rows.slice(2);
}

/** What a field gives when the variable is unset, written as the guide writes it. */
function renderDefault(field: z.ZodType): string {
  const result = field.safeParse(undefined);
  if (!result.success) return 'required';
  if (result.data === undefined) return 'unset';
  return Array.isArray(result.data) ? result.data.join(',') : String(result.data);
}

/** The default cell: "required …", "unset …", or the value as its first code span. */
function documentedDefault(cell: string): string {
  const word = /^(required|unset)\b/.exec(cell)?.[1];
  return word ?? codeSpans(cell)[0] ?? cell;
}

type EnvTemplate = { active: Map<string, string>; commented: Set<string>; duplicates: string[] };

/** NAME=value lines are set; `# NAME=…` lines are alternatives and optional settings. */
function parseEnvTemplate(text: string): EnvTemplate {
  const active = new Map<string, string>();
  const commented = new Set<string>();
  const duplicates: string[] = [];
  for (const line of text.split('\n')) {
    const set = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (set) {
      if (active.has(set[1]!)) duplicates.push(set[1]!);
      active.set(set[1]!, set[2]!);
      continue;
    }
    const alternative = /^#\s*([A-Z][A-Z0-9_]*)=/.exec(line);
    if (alternative) commented.add(alternative[1]!);
  }
  return { active, commented, duplicates };
}

type Expectation = { kind: 'http'; status: number; fields: [string, string][] } | { kind: 'exit'; code: number; output?: string };
type ManualCase = { command: string; expect: Expectation; line: number };

function parseExpectation(spec: string, output?: string): Expectation {
  const exit = /^exit (\d+)$/.exec(spec);
  if (exit) return { kind: 'exit', code: Number(exit[1]), ...(output ? { output } : {}) };
  const [status, ...pairs] = spec.split(/\s+/);
  if (!/^\d{3}$/.test(status ?? '')) throw new Error(`expect \`${spec}\`: neither "exit N" nor an HTTP status`);
  const fields = pairs.map((pair): [string, string] => {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`expect \`${spec}\`: "${pair}" is not key=value`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  });
  return { kind: 'http', status: Number(status), fields };
}

/** The `sh test-setup` block, and each `sh test` block with the expect line under it. */
function manualCases(markdown: string): { setup: string; cases: ManualCase[] } {
  const lines = markdown.split('\n');
  const setup: string[] = [];
  const cases: ManualCase[] = [];
  for (let i = 0; i < lines.length; i++) {
    const info = /^```(.*)$/.exec(lines[i]!)?.[1]?.trim();
    if (info === undefined || info === '') continue;
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'));
    if (end < 0) throw new Error(`line ${i + 1}: unclosed code block`);
    const body = lines.slice(i + 1, end).join('\n');
    if (info === 'sh test-setup') setup.push(body);
    if (info === 'sh test') {
      const next = lines.slice(end + 1).find((line) => line.trim() !== '') ?? '';
      const expect = /^→ expect `([^`]+)`(?: and output `([^`]+)`)?\s*$/.exec(next);
      if (!expect) throw new Error(`line ${i + 1}: a sh test block must be followed by "→ expect \`…\`", not "${next}"`);
      cases.push({ command: body, expect: parseExpectation(expect[1]!, expect[2]), line: i + 1 });
    }
    i = end;
  }
  return { setup: setup.join('\n'), cases };
}

/** The last final response in `curl -si` output (a 1xx before it is skipped), with its JSON body. */
function lastResponse(output: string): { status: number; body: unknown } | undefined {
  const heads = [...output.matchAll(/^HTTP\/[\d.]+ (\d{3})[^\n]*\n/gm)].filter((m) => Number(m[1]) >= 200);
  const head = heads.at(-1);
  if (!head) return undefined;
  const rest = output.slice(head.index + head[0].length);
  const blank = /\r?\n\r?\n/.exec(rest);
  const text = blank ? rest.slice(blank.index + blank[0].length) : '';
  try {
    return { status: Number(head[1]), body: JSON.parse(text) };
  } catch {
    return { status: Number(head[1]), body: undefined };
  }
}

function fieldAt(body: unknown, dotted: string): unknown {
  return dotted
    .split('.')
    .reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), body);
}

/** What differs between the answer the guide states and what the command did; empty when they agree. */
function mismatches(expected: Expectation, run: { code: number | null; output: string }): string[] {
  if (expected.kind === 'exit') {
    const found: string[] = [];
    if (run.code !== expected.code) found.push(`exit code ${run.code}, expected ${expected.code}`);
    if (expected.output && !run.output.includes(expected.output)) found.push(`output lacks "${expected.output}"`);
    return found;
  }
  const response = lastResponse(run.output);
  if (!response) return [`no HTTP response (exit code ${run.code})`];
  const found = response.status === expected.status ? [] : [`status ${response.status}, expected ${expected.status}`];
  for (const [key, value] of expected.fields) {
    const actual = fieldAt(response.body, key);
    if (String(actual) !== value) found.push(`${key} is ${JSON.stringify(actual)}, expected ${value}`);
  }
  return found;
}

// ---------------------------------------------------------------- the pure parts, as tables

describe('reading the guide', () => {
  const http = (status: number, body: string, before = '') =>
    `${before}HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\n\r\n${body}`;
  const table: [string, Expectation, { code: number | null; output: string }, string[]][] = [
    [
      'status and fields agree',
      parseExpectation('401 reason=signature_missing'),
      { code: 0, output: http(401, '{"reason":"signature_missing"}') },
      [],
    ],
    ['another status', parseExpectation('202'), { code: 0, output: http(401, '{}') }, ['status 401, expected 202']],
    [
      'a nested field differs',
      parseExpectation('200 checks.nats.ok=true'),
      { code: 0, output: http(200, '{"checks":{"nats":{"ok":false}}}') },
      ['checks.nats.ok is false, expected true'],
    ],
    [
      'the last of two responses counts',
      parseExpectation('202 duplicate=true'),
      { code: 0, output: http(202, '{"duplicate":true}', http(202, '{"duplicate":false}\n')) },
      [],
    ],
    ['100 Continue is skipped', parseExpectation('413'), { code: 0, output: http(413, '{}', 'HTTP/1.1 100 Continue\r\n\r\n') }, []],
    ['no response at all', parseExpectation('200'), { code: 7, output: 'curl: (7) Failed to connect' }, ['no HTTP response (exit code 7)']],
    ['exit code and output agree', parseExpectation('exit 78', 'required'), { code: 78, output: 'X: required' }, []],
    [
      'exit code and output differ',
      parseExpectation('exit 78', 'required'),
      { code: 0, output: '' },
      ['exit code 0, expected 78', 'output lacks "required"'],
    ],
  ];
  it.each(table)('%s', (_name, expected, run, found) => {
    expect(mismatches(expected, run)).toEqual(found);
  });

  it('refuses an expect line it cannot read, and a test block without one', () => {
    expect(() => parseExpectation('ok')).toThrow(/neither/);
    expect(() => parseExpectation('200 status')).toThrow(/key=value/);
    expect(() => manualCases('```sh test\ncurl x\n```\n\nsome text\n')).toThrow(/must be followed/);
  });

  it('reads set and commented variables of a template, and notices a variable set twice', () => {
    const t = parseEnvTemplate('# comment\nA=1\n# B=2\n#C=3\nA=4\n# not a variable: D=5\n');
    expect([...t.active]).toEqual([['A', '4']]);
    expect([...t.commented]).toEqual(['B', 'C']);
    expect(t.duplicates).toEqual(['A']);
  });
});

// ---------------------------------------------------------------- the guide against the parsers

const names = (rows: string[][]) => sorted(rows.flatMap((row) => codeSpans(row[0] ?? '').filter((s) => VARIABLE.test(s))));
const processVariables = () => {
  const files = (dir: string): string[] =>
    readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? files(path.join(dir, e.name))
        : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
          ? [path.join(dir, e.name)]
          : [],
    );
  const text = files('app').map((f) => readFileSync(path.join(REPO_ROOT, f), 'utf8'));
  return sorted(text.flatMap((t) => [...t.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!)));
};

describe('docs/configuration.md lists exactly what the parsers accept', () => {
  it('the NATS table: every key of the shared NATS schema', () => {
    expect(names(markedTable(guide, 'nats'))).toEqual(sorted(Object.keys(NATS_FIELDS)));
  });

  it.each(SERVICES)('$id: its table holds its own keys, the NATS table the shared ones', (service) => {
    const own = Object.keys(service.fields).filter((key) => !(key in NATS_FIELDS));
    expect(names(markedTable(guide, service.id))).toEqual(sorted(own));
  });

  it('the *_FILE table: each service row names exactly the secrets its parser reads from files', () => {
    const rows = markedTable(guide, 'secret-files');
    expect(sorted(rows.map((r) => r[0]!))).toEqual(sorted(SERVICES.map((s) => s.id)));
    for (const service of SERVICES) {
      const row = rows.find((r) => r[0] === service.id)!;
      expect({ service: service.id, secrets: names([[row[1]!]]) }).toEqual({ service: service.id, secrets: sorted(service.secrets) });
    }
  });

  it('the process table: every variable app/ reads from process.env outside the parsers', () => {
    const read = processVariables();
    expect(read).toContain('LOG_LEVEL');
    expect(names(markedTable(guide, 'process'))).toEqual(read);
  });

  it.each([{ id: 'nats', fields: NATS_FIELDS }, ...SERVICES])(
    '$id: each default is the schema default, each example parses',
    ({ id, fields }) => {
      const wrong: string[] = [];
      for (const [cell, defaultCell, exampleCell] of markedTable(guide, id)) {
        const name = codeSpans(cell!)[0]!;
        const field = fields[name];
        // A name the parser does not know is the listing test's failure, not this one's.
        if (!field) continue;
        if (documentedDefault(defaultCell!) !== renderDefault(field))
          wrong.push(`${name}: default "${documentedDefault(defaultCell!)}", the schema's is "${renderDefault(field)}"`);
        // A single code span is a value to try; prose (a command to generate a token) is not. Files need not exist here.
        const example = /^`([^`]+)`$/.exec(exampleCell!.trim())?.[1];
        if (example !== undefined && !name.endsWith('_FILE') && !field.safeParse(example).success)
          wrong.push(`${name}: the example ${example} does not parse`);
      }
      expect(wrong).toEqual([]);
    },
  );
});

describe('the .env.example templates', () => {
  let dir: string;
  let credentials: NatsCredentials;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'event-bus-env-example-'));
    credentials = ensureNatsCredentials(path.join(dir, 'credentials'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const read = (service: ServiceConfig) => parseEnvTemplate(readFileSync(path.join(REPO_ROOT, service.template), 'utf8'));

  it.each(SERVICES)('$template names every variable its parser accepts, and nothing else but the process ones', (service) => {
    const template = read(service);
    const inTemplate = sorted([...template.active.keys(), ...template.commented]);
    const known = new Set([...accepted(service), ...processVariables()]);
    expect({
      missing: accepted(service).filter((name) => !inTemplate.includes(name)),
      unknown: inTemplate.filter((name) => !known.has(name)),
    }).toEqual({
      missing: [],
      unknown: [],
    });
    expect(template.duplicates).toEqual([]);
  });

  it.each(SERVICES)('$template parses with its service parser, its values the defaults', (service) => {
    const { active } = read(service);
    const env: Record<string, string> = Object.fromEntries(active);
    const nkey = active.get('NATS_NKEY_SEED_FILE');
    // The template must name this service's own identity: another seed would be refused by the server.
    expect(nkey && path.basename(nkey)).toBe(`${service.identity}.nk`);
    for (const [name, value] of active) {
      if (name in NATS_FIELDS && name.endsWith('_FILE')) env[name] = path.join(credentials.dir, path.basename(value));
      else if (name.endsWith('_FILE')) env[name] = dummySecretFile(dir, name.slice(0, -'_FILE'.length));
    }
    expect(() => service.parse(env)).not.toThrow();
    const notDefault = [...active].filter(([name, value]) => {
      const field = service.fields[name];
      if (!field || field.safeParse(undefined).data === undefined) return false;
      return JSON.stringify(field.parse(value)) !== JSON.stringify(field.parse(undefined));
    });
    expect(notDefault).toEqual([]);
  });
});

/** A file holding a valid value for the secret `name`, as a deployment's secret file would. */
function dummySecretFile(dir: string, name: string): string {
  let value: string;
  if (name.endsWith('_SECRET')) value = `whsec_${randomBytes(32).toString('base64')}`;
  else if (name.endsWith('_TOKEN')) value = randomBytes(32).toString('hex');
  else throw new Error(`no dummy value for ${name}_FILE: teach dummySecretFile its kind`);
  const file = path.join(dir, name.toLowerCase());
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return file;
}

describe('what the guide names exists', () => {
  it('every repository path in a code span, and every relative link', () => {
    const named = namedPaths(guide, path.relative(REPO_ROOT, GUIDE_FILE));
    expect(named.length).toBeGreaterThan(20);
    expect(missingPaths(named)).toEqual([]);
  });

  it('every test the security checklists cite, by file and name', () => {
    const cited = citedTests(guide);
    expect(cited.length).toBeGreaterThan(20);
    expect(absentTests(cited)).toEqual([]);
  });
});

// ---------------------------------------------------------------- the manual test cases, on a real stack

const { setup, cases } = manualCases(guide);

function runShell(script: string, env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // Its own process group, so that a command that hangs is ended with everything it started.
    const child = spawn('sh', ['-c', script], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs} ms)`;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the manual test cases, against a started stack', () => {
  let stack: Stack;
  let env: Record<string, string>;

  beforeAll(async () => {
    const dir = tempDir('manual-cases');
    const adminToken = randomBytes(32).toString('hex');
    const adminTokenFile = path.join(dir, 'admin-token');
    writeFileSync(adminTokenFile, `${adminToken}\n`, { mode: 0o600 });
    const apiToken = randomBytes(32).toString('hex');
    // As the demo runs it, plus the API token compose sets.
    stack = await startStack({
      dir,
      signingSecret: newSecret(),
      publisherApiToken: apiToken,
      gatewayEnv: { GATEWAY_ADMIN_TOKEN_FILE: adminTokenFile },
      publisherEnv: { PUBLISHER_ADMIN_TOKEN_FILE: adminTokenFile },
    });
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      GATEWAY: stack.gateway.url,
      PUBLISHER: stack.publisher.url,
      CONSUMER: stack.consumer.url,
      SECRET: stack.signingSecret,
      API_TOKEN: apiToken,
      ADMIN_TOKEN: adminToken,
      OUTBOX: stack.outboxPath,
    };
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    if (stack) rmSync(stack.dir, { recursive: true, force: true });
  });

  it('the guide has its cases: each gateway and publisher rejection it promises, and the tools', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    expect(setup).toContain('post_signed()');
  });

  it.each(cases)('line $line: $command', async ({ command, expect: expected }) => {
    const run = await runShell(`${setup}\n${command}`, env);
    expect(mismatches(expected, run), run.output).toEqual([]);
  });
});
