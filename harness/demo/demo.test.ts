// `npm run demo` as a user runs it: it starts everything, every Prometheus target comes up, every
// rule group loads, the console answers, and Ctrl-C leaves no process behind.
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleFile, ruleFilePaths } from '../../observability/load-rule-files.ts';
import { tempDir } from '../integration/support.ts';
import { REPO_ROOT } from '../stack/service.ts';
import { waitFor } from '../stack/wait.ts';
import { demoPortsAt } from './options.ts';

const DEMO = path.join(REPO_ROOT, 'harness/demo/demo.ts');

/** Every process below `pid`, from /proc (children of children included). */
function descendants(pid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  const children = new Map<number, number[]>();
  for (const line of out.trim().split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    children.set(pp!, [...(children.get(pp!) ?? []), p!]);
  }
  const all: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      all.push(c);
      walk(c);
    }
  };
  walk(pid);
  return all;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function freePorts() {
  const { args, port } = demoPortsAt(10_000 + Math.floor(Math.random() * 4_000));
  return { args, prometheus: port('prometheus-port'), console: port('console-port') };
}

describe('npm run demo', () => {
  it('documents every option in --help', () => {
    const help = execFileSync(process.execPath, [DEMO, '--help'], { encoding: 'utf8' });
    for (const option of [
      '--topology',
      '--rate',
      '--nats-port',
      '--gateway-port',
      '--publisher-port',
      '--consumer-port',
      '--prometheus-port',
      '--alertmanager-port',
      '--receiver-port',
      '--console-port',
      '--state-dir',
      '--fresh',
      '--scrape-interval',
      '--control-port',
    ]) {
      expect(help).toContain(option);
    }
  });

  it('names a taken port and the option that moves it', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const ports = freePorts();
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [DEMO, ...ports.args, '--prometheus-port', String(port), '--state-dir', tempDir('demo-port')],
          { cwd: REPO_ROOT },
        );
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Port ${port} (Prometheus) is already in use`);
      expect(result.stderr).toContain('--prometheus-port');
    } finally {
      blocker.close();
    }
  });

  it.each(['single', 'cluster'])(
    '%s topology: starts, every target up and rule group loaded, console answers, Ctrl-C leaves nothing behind',
    async (topology) => {
      const ports = freePorts();
      const stateDir = tempDir(`demo-${topology}`);
      const child = spawn(
        process.execPath,
        [DEMO, ...ports.args, '--topology', topology, '--scrape-interval', '2s', '--rate', '20', '--state-dir', stateDir],
        { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await waitFor(
          'the demo to report every target up',
          () => /All (\d+) Prometheus targets up and (\d+) rule groups loaded/.test(output),
          { timeoutMs: 120_000, intervalMs: 500 },
        );
        const prometheus = `http://127.0.0.1:${ports.prometheus}`;
        const targets = (await (await fetch(`${prometheus}/api/v1/targets`)).json()) as {
          data: { activeTargets: { health: string; labels: { job: string } }[] };
        };
        expect(targets.data.activeTargets.every((t) => t.health === 'up')).toBe(true);
        expect(targets.data.activeTargets.filter((t) => t.labels.job === 'webhook-gateway')).toHaveLength(topology === 'cluster' ? 2 : 1);
        const rules = (await (await fetch(`${prometheus}/api/v1/rules`)).json()) as {
          data: { groups: { name: string; rules: unknown[] }[] };
        };
        // Every group of every rule file the project ships, and nothing else.
        const shipped = ruleFilePaths().flatMap((file) => loadRuleFile(file).groups.map((g) => g.name));
        expect(rules.data.groups.map((g) => g.name).sort()).toEqual(shipped.sort());
        const page = await fetch(`http://127.0.0.1:${ports.console}/`);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('Event bus console');
        const children = descendants(child.pid!);
        // NATS node(s), gateway(s), consumer, publisher, Prometheus, Alertmanager.
        expect(children.length).toBeGreaterThanOrEqual(topology === 'cluster' ? 9 : 6);
        child.kill('SIGINT');
        expect(await exited).toBe(0);
        await waitFor('every child process to exit', () => children.every((pid) => !alive(pid)), { timeoutMs: 15_000 });
        expect(output).toContain('Stopped.');
      } finally {
        // A failed assertion must not leave the demo's processes behind: kill its whole process group.
        if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
      }
    },
    180_000,
  );
});
