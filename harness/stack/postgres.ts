// A real PostgreSQL server for tests and chaos runs: a fresh cluster from initdb, the postgres binary
// run directly (no pg_ctl, so the process we hold is the postmaster we signal) on a free loopback port.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  appendFileSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './ports.ts';
import { spawnLogged, type Spawned } from './processes.ts';
import { sleep, waitFor } from './wait.ts';

export type PostgresServer = {
  url: string;
  port: number;
  dataDir: string;
  /** Starts the server again on the same data directory and port, e.g. after kill(). */
  start(): Promise<void>;
  /** Fast shutdown (SIGINT): open sessions are ended, the data directory is left consistent. */
  stop(): Promise<void>;
  /** SIGKILL to every server process: the crash case; the next start() runs crash recovery. */
  kill(): Promise<void>;
  isRunning(): boolean;
};

export type PostgresOptions = {
  /** Where postgres.log goes, and (unless running as root) the data directory. */
  dir: string;
  port?: number;
  /** Off trades durability across an OS crash for speed; a killed server keeps its commits either way. */
  fsync?: boolean;
  maxConnections?: number;
};

const SUPERUSER = 'postgres';

// Data directories made outside the caller's dir (the root case) are named after the harness's pid,
// and removed when it exits; a vitest worker is killed without exit hooks, so later runs sweep those.
const DATA_DIR_PREFIX = 'postgres-data-';
const ownDataDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of ownDataDirs) removeQuietly(dir);
});

/** Where initdb and postgres live: PATH first, else Debian's newest /usr/lib/postgresql/<major>/bin. */
export function postgresBinDir(): string {
  const both = (dir: string) => ['initdb', 'postgres'].every((bin) => isExecutable(path.join(dir, bin)));
  const onPath = (process.env.PATH ?? '').split(path.delimiter).find((dir) => dir && both(dir));
  if (onPath) return onPath;
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base)
    ? readdirSync(base)
        .filter((d) => /^\d+$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const debian = majors.map((major) => path.join(base, major, 'bin')).find(both);
  if (debian) return debian;
  throw new Error('PostgreSQL server binaries (initdb, postgres) not found: run "node harness/setup/ensure-prerequisites.mjs --for test"');
}

export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const binDir = postgresBinDir();
  const port = options.port ?? (await freePort());
  const logFile = path.join(options.dir, 'postgres.log');
  mkdirSync(options.dir, { recursive: true });
  const runAs = serverUser();
  const dataDir = runAs ? dataDirFor(runAs) : path.join(options.dir, 'postgres-data');
  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;

  // --no-sync: a test cluster that is lost in an OS crash is simply made again.
  const initdb = spawnSync(
    path.join(binDir, 'initdb'),
    ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C'],
    { encoding: 'utf8', cwd: runAs ? '/' : undefined, uid: runAs?.uid, gid: runAs?.gid },
  );
  appendFileSync(logFile, `${initdb.stdout ?? ''}${initdb.stderr ?? ''}`);
  if (initdb.status !== 0) throw new Error(`initdb exited with ${initdb.status ?? initdb.error?.message}; see ${logFile}`);

  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    // No Unix socket: clients use TCP, and a socket path under a deep temp dir can exceed the 107-byte limit.
    '-c',
    'unix_socket_directories=',
    '-c',
    `fsync=${options.fsync === false ? 'off' : 'on'}`,
    '-c',
    `max_connections=${options.maxConnections ?? 100}`,
  ];
  const postgres = path.join(binDir, 'postgres');
  let proc: Spawned | undefined;

  const start = async () => {
    proc = spawnLogged(...serverCommand(postgres, args, runAs), { logFile, cwd: runAs ? '/' : undefined });
    const exited = proc.exited.then((code) => {
      throw new Error(`postgres exited with ${code} during start-up; see ${logFile}`);
    });
    exited.catch(() => undefined);
    // The port opens before recovery ends ("the database system is starting up"), so only a query counts.
    await Promise.race([waitFor(`postgres on port ${port}`, () => selectOne(url), { timeoutMs: 30_000, intervalMs: 100 }), exited]);
  };

  await start();
  return {
    url,
    port,
    dataDir,
    start,
    stop: async () => {
      if (proc) await stopFast(proc);
    },
    kill: async () => {
      if (proc) await killAll(proc);
    },
    isRunning: () => !!proc && proc.child.exitCode === null && proc.child.signalCode === null,
  };
}

/**
 * Through setpriv when it exists (util-linux, always on Debian): it execs postgres in place, so the pid
 * we signal is the postmaster's, and its --pdeathsig gives the server a fast shutdown if the harness
 * dies without running its exit hooks (a vitest worker does). spawnLogged has no uid/gid, so as root
 * setpriv is also what drops to the server user.
 */
function serverCommand(postgres: string, args: string[], runAs: ServerUser | undefined): [string, string[]] {
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find(isExecutable);
  if (!setpriv) {
    if (runAs) throw new Error('running as root needs setpriv (Debian package util-linux) to start postgres as another user');
    return [postgres, args];
  }
  const user = runAs ? [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups'] : [];
  return [setpriv, [...user, '--pdeathsig=INT', '--', postgres, ...args]];
}

async function selectOne(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function alive(spawned: Spawned): boolean {
  return spawned.child.exitCode === null && spawned.child.signalCode === null;
}

/** SIGINT is PostgreSQL's fast shutdown; SIGTERM ("smart") would wait for every client to disconnect. */
async function stopFast(spawned: Spawned, graceMs = 15_000): Promise<void> {
  if (!alive(spawned)) return;
  spawned.child.kill('SIGINT');
  const timer = setTimeout(() => spawned.child.kill('SIGKILL'), graceMs);
  await spawned.exited;
  clearTimeout(timer);
}

/**
 * A killed postmaster leaves its backends and auxiliary processes behind for a moment, still attached
 * to its shared memory; a new postmaster refuses to start while they are ("pre-existing shared memory
 * block is still in use"). So the crash takes them all, and returns once they are gone.
 */
async function killAll(spawned: Spawned): Promise<void> {
  if (!alive(spawned) || spawned.child.pid === undefined) return;
  const children = childPids(spawned.child.pid);
  spawned.child.kill('SIGKILL');
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  await spawned.exited;
  await waitFor('the killed postgres processes to exit', () => children.every((pid) => !running(pid)), {
    timeoutMs: 10_000,
    intervalMs: 20,
  });
  // A child forked between the snapshot and the kill exits by itself on postmaster death.
  await sleep(50);
}

function childPids(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.ppid === parent) pids.push(Number(entry));
  }
  return pids;
}

/** Zombies count as gone: they hold no shared memory, and our container's init may never reap them. */
function running(pid: number): boolean {
  const stat = procStat(pid);
  return !!stat && stat.state !== 'Z' && stat.state !== 'X';
}

function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    // The command name in parentheses may itself contain spaces, so split after its closing parenthesis.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: state ?? '', ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

type ServerUser = { uid: number; gid: number; name: string };

/** PostgreSQL refuses to run as root: as root, use the postgres system user, else nobody. */
function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), name };
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as');
}

/**
 * As root the caller's directory is typically a 0700 mkdtemp the server user cannot enter, so the data
 * directory gets its own temp dir, owned by that user with the 0700 PostgreSQL insists on. Nothing
 * outside this process can use it, so it goes when the process exits.
 */
function dataDirFor(user: ServerUser): string {
  sweepDataDirsOfDeadHarnesses();
  const dir = mkdtempSync(path.join(tmpdir(), `${DATA_DIR_PREFIX}${process.pid}-`));
  chownSync(dir, user.uid, user.gid);
  for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
    if (!traversable(parent, user))
      throw new Error(`${user.name} cannot reach ${dir}: ${parent} is not searchable by it (set TMPDIR elsewhere)`);
    if (parent === path.dirname(parent)) break;
  }
  ownDataDirs.add(dir);
  return dir;
}

function sweepDataDirsOfDeadHarnesses(): void {
  for (const entry of readdirSync(tmpdir())) {
    const pid = new RegExp(`^${DATA_DIR_PREFIX}(\\d+)-`).exec(entry)?.[1];
    if (pid && !running(Number(pid))) removeQuietly(path.join(tmpdir(), entry));
  }
}

function removeQuietly(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {}
}

function traversable(dir: string, user: ServerUser): boolean {
  const { mode, uid, gid } = statSync(dir);
  if (uid === user.uid) return (mode & constants.S_IXUSR) !== 0;
  if (gid === user.gid) return (mode & constants.S_IXGRP) !== 0;
  return (mode & constants.S_IXOTH) !== 0;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
