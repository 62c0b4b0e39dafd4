// What a runbook tells someone to run, checked against the repository: npm scripts, the flags of our
// CLIs, repository files, compose services, and that every command for the local demo has its compose
// form next to it. Pure: markdown and facts in, problems out (runbooks.test.ts reads the facts).

export type RepoFacts = {
  /** npm script name → the flags its CLI accepts (empty set: the script takes no flags we know of). */
  scripts: ReadonlyMap<string, ReadonlySet<string>>;
  composeServices: ReadonlySet<string>;
  alerts: ReadonlySet<string>;
  fileExists: (repoPath: string) => boolean;
};

export type Command = { line: string; block: number };

/** Shell lines of a runbook: every line of ```sh blocks (comments and continuations kept whole), and inline `npm run …`/`docker compose …`. */
export function shellCommands(markdown: string): Command[] {
  const commands: Command[] = [];
  let block = -1;
  let inShell = false;
  let fenced = false;
  let pending = '';
  for (const raw of markdown.split('\n')) {
    const fence = /^\s*```(\w*)/.exec(raw);
    if (fence) {
      fenced = !fenced;
      inShell = fenced && ['sh', 'bash', 'shell', 'console'].includes(fence[1]!);
      if (inShell) block++;
      continue;
    }
    if (inShell) {
      const line = pending + raw.trim();
      if (line.endsWith('\\')) {
        pending = `${line.slice(0, -1).trimEnd()} `;
        continue;
      }
      pending = '';
      if (line) commands.push({ line, block });
      continue;
    }
    if (fenced) continue;
    // Inline commands outside blocks each stand alone (block -1): the both-worlds rule reads blocks only.
    for (const m of raw.matchAll(/`((?:npm run|docker compose)[^`]*)`/g)) commands.push({ line: m[1]!, block: -1 });
  }
  return commands;
}

const stripComment = (line: string) => line.replace(/(^|\s)#.*$/, '').trim();

/** Each `npm run <script> [-- args]` in a line (a line may chain several with ; && |). */
export function npmRuns(line: string): { script: string; args: string[] }[] {
  const out: { script: string; args: string[] }[] = [];
  for (const part of stripComment(line).split(/;|&&|\|\||\|/)) {
    const words = part.trim().split(/\s+/);
    const at = words.findIndex((w, i) => w === 'npm' && words[i + 1] === 'run');
    if (at < 0) continue;
    const rest = words.slice(at + 2).filter((w) => w !== '-s' && w !== '--silent');
    const script = rest[0];
    if (!script) continue;
    const dash = rest.indexOf('--');
    out.push({ script, args: dash < 0 ? [] : rest.slice(dash + 1) });
  }
  return out;
}

const COMPOSE_VERBS = new Set([
  'logs',
  'restart',
  'exec',
  'kill',
  'stop',
  'start',
  'ps',
  'run',
  'up',
  'rm',
  'top',
  'pause',
  'unpause',
  'port',
  'cp',
]);
/** Options of those verbs that take a value (so the value is not mistaken for a service). */
const COMPOSE_VALUE_OPTIONS = new Set([
  '-f',
  '--file',
  '--tail',
  '-n',
  '--since',
  '--until',
  '-e',
  '--env',
  '-u',
  '--user',
  '-w',
  '--workdir',
  '-s',
  '--signal',
  '-t',
  '--timeout',
  '--index',
  '-p',
  '--project-name',
  '--profile',
  '--entrypoint',
  '--name',
]);

/** The services a `docker compose <verb> …` names (all of them for logs/ps/restart…, the first for exec/run). */
export function composeServicesOf(line: string): string[] {
  const found: string[] = [];
  for (const part of stripComment(line).split(/;|&&|\|\||\|/)) {
    const words = part.trim().split(/\s+/);
    const at = words.findIndex((w, i) => (w === 'docker' && words[i + 1] === 'compose') || w === 'docker-compose');
    if (at < 0) continue;
    let i = at + (words[at] === 'docker' ? 2 : 1);
    while (i < words.length && words[i]!.startsWith('-')) i += COMPOSE_VALUE_OPTIONS.has(words[i]!) ? 2 : 1;
    const verb = words[i++];
    if (!verb || !COMPOSE_VERBS.has(verb)) continue;
    const services: string[] = [];
    for (; i < words.length; i++) {
      const w = words[i]!;
      if (w.startsWith('-')) {
        if (COMPOSE_VALUE_OPTIONS.has(w)) i++;
        continue;
      }
      if (!/^[a-z0-9][a-z0-9_-]*$/.test(w) && !/^\$/.test(w)) break;
      services.push(w);
      if (verb === 'exec' || verb === 'run' || verb === 'port') break;
    }
    found.push(...services.filter((s) => !s.startsWith('$')));
  }
  return found;
}

/** Repository paths a line names (compose file, scripts, rule files…), not runtime paths such as .demo/, /data/ or compose/secrets/. */
export function repoPaths(line: string): string[] {
  const paths: string[] = [];
  for (const m of stripComment(line).matchAll(
    /(?:^|[\s=('"])((?:app|alerts|slo|compose|dashboards|harness|runbooks|docs|alertmanager|observability|examples)\/[\w./-]*[\w])/g,
  ))
    if (!m[1]!.startsWith('compose/secrets/')) paths.push(m[1]!);
  return paths;
}

/** A line only the local demo understands: its processes, its state directory. */
export const isDemoOnly = (line: string) => /\bpgrep\b|\bpkill\b|(^|[\s"'(=])\.demo\//.test(stripComment(line));
// compose/secrets/ holds compose's tokens, as .demo/ holds the demo's: `cat compose/secrets/admin-token` is a compose form.
const isCompose = (line: string) => /\bdocker(\s+|-)compose\b|compose\/secrets\//.test(stripComment(line));

/**
 * What a line starts by hand in the background (`… &`): nats-server (by name or a saved `$NATS_CMD`)
 * or a service's node process. Such a process escapes the demo's process group, so Ctrl-C leaves it
 * running; `npm run demo:restart` starts the same process with the demo's settings inside the demo.
 */
export function handStartedProcess(line: string): string | undefined {
  const code = stripComment(line);
  if (!/(^|[^&])&$/.test(code)) return undefined;
  if (/(^|[\s;(])(\S*\/)?nats-server(\s|$)|\$\{?NATS_CMD\b/.test(code)) return 'nats';
  return /(^|[\s;(])node\b.*\bapp\/([\w-]+)\//.exec(code)?.[2];
}

export function runbookProblems(file: string, markdown: string, facts: RepoFacts): string[] {
  const problems: string[] = [];
  const commands = shellCommands(markdown);
  for (const { line } of commands) {
    const started = handStartedProcess(line);
    if (started)
      problems.push(`${file}: \`${line}\` starts ${started} by hand, outside the demo: use \`npm run demo:restart -- ${started}\``);
    for (const { script, args } of npmRuns(line)) {
      const flags = facts.scripts.get(script);
      if (!flags) {
        problems.push(`${file}: \`npm run ${script}\` is not a script in package.json`);
        continue;
      }
      for (const arg of args) {
        const flag = /^--?([\w-]+)/.exec(arg)?.[1];
        if (flag && arg.startsWith('-') && !flags.has(flag))
          problems.push(`${file}: \`npm run ${script}\` has no flag ${arg.split('=')[0]}`);
      }
      // `npm run drill -- <Alert>` drills an alert that must exist.
      if (script === 'drill')
        for (const arg of args.filter((a) => /^[A-Z]\w+$/.test(a)))
          if (!facts.alerts.has(arg)) problems.push(`${file}: \`npm run drill -- ${arg}\`: no alert ${arg}`);
    }
    for (const service of composeServicesOf(line))
      if (!facts.composeServices.has(service)) problems.push(`${file}: compose service ${service} does not exist (\`${line}\`)`);
    for (const p of repoPaths(line)) if (!facts.fileExists(p)) problems.push(`${file}: ${p} does not exist`);
  }
  // Both worlds: a block with a demo-only command also says how to do it on the compose stack.
  const blocks = new Map<number, string[]>();
  for (const c of commands) if (c.block >= 0) blocks.set(c.block, [...(blocks.get(c.block) ?? []), c.line]);
  for (const lines of blocks.values()) {
    const demo = lines.find(isDemoOnly);
    if (demo && !lines.some(isCompose)) problems.push(`${file}: \`${demo}\` has no compose form (docker compose …) in its block`);
  }
  return problems;
}
