// Child processes of the harness: logged to files, and never left behind when the harness exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { httpOk, waitFor } from './wait.ts';

const live = new Set<ChildProcess>();

// A crashed or interrupted harness must not leave nats-server or a service running.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export type Spawned = {
  child: ChildProcess;
  exited: Promise<number | null>;
};

export function spawnLogged(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; logFile: string }): Spawned {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  live.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      log.end();
      resolve(code ?? (signal ? -1 : null));
    });
    child.once('error', (err) => {
      live.delete(child);
      log.end(`spawn failed: ${err.message}\n`);
      resolve(-1);
    });
  });
  return { child, exited };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves to the exit code (-1 when killed by a signal). */
export async function terminate(spawned: Spawned, graceMs = 10_000): Promise<number | null> {
  if (spawned.child.exitCode !== null || spawned.child.signalCode !== null) return spawned.child.exitCode;
  spawned.child.kill('SIGTERM');
  const timer = setTimeout(() => spawned.child.kill('SIGKILL'), graceMs);
  const code = await spawned.exited;
  clearTimeout(timer);
  return code;
}

export async function killHard(spawned: Spawned): Promise<void> {
  if (spawned.child.exitCode !== null || spawned.child.signalCode !== null) return;
  spawned.child.kill('SIGKILL');
  await spawned.exited;
}

export function liveChildPids(): number[] {
  return [...live].map((c) => c.pid).filter((pid): pid is number => pid !== undefined);
}

/** Waits until `readyUrl` answers 2xx; fails at once, naming the log file, if the process exits first. */
export async function untilReady(
  spawned: Spawned,
  what: string,
  readyUrl: string,
  options: { logFile: string; timeoutMs?: number },
): Promise<void> {
  const exited = spawned.exited.then((code) => {
    throw new Error(`${what} exited with ${code} during start-up; see ${options.logFile}`);
  });
  exited.catch(() => undefined);
  await Promise.race([waitFor(what, () => httpOk(readyUrl), { timeoutMs: options.timeoutMs ?? 30_000 }), exited]);
}
