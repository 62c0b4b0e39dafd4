// Runs one of our services (gateway, publisher, consumer) as a real process, exactly as
// `npm run <service>` does: Node with the telemetry preload, configured by environment only.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../observability/repo-root.ts';
import { freePort } from './ports.ts';
import { killHard, spawnLogged, terminate, untilReady, type Spawned } from './processes.ts';

// Re-exported so harness code keeps one import; the definition lives with the code that needs it.
export { REPO_ROOT };

export type ServiceKind = 'gateway' | 'publisher' | 'consumer';

export type Service = {
  kind: ServiceKind;
  name: string;
  port: number;
  url: string;
  logFile: string;
  pid(): number | undefined;
  /** SIGTERM and wait (graceful shutdown); resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: the crash case. */
  kill(): Promise<void>;
  /** Starts (again); `overrides` add environment for this start only (e.g. a slow-consumer drill).
   *  Overrides that change what code Node loads are refused (see loaderAffectingKeys). */
  start(overrides?: Record<string, string>): Promise<void>;
  isRunning(): boolean;
  /** The bearer token the publisher's POST /events requires, when the stack set one. */
  apiToken?: string;
};

// Variables that make Node, or the dynamic linker under it, load other code or trust other
// certificates. Any NODE_* is included: Node adds new ones, and none of our settings uses the prefix.
const LOADER_AFFECTING = /^(NODE_.*|LD_.*|DYLD_.*|PATH|OPENSSL_CONF|OPENSSL_MODULES|SSL_CERT_(FILE|DIR))$/;

/** The keys of `env` that would change what code a service runs: never taken from a restart request. */
export function loaderAffectingKeys(env: Record<string, string>): string[] {
  return Object.keys(env).filter((key) => LOADER_AFFECTING.test(key.toUpperCase()));
}

const PORT_VARIABLE: Record<ServiceKind, string> = { gateway: 'WEBHOOK_PORT', publisher: 'PUBLISHER_PORT', consumer: 'CONSUMER_PORT' };
const HEALTH_PATH: Record<ServiceKind, string> = { gateway: '/health/all', publisher: '/health', consumer: '/health' };

/**
 * The node arguments of `npm run <kind>`: package.json is the one definition of how a service starts
 * (V8 flags, compile cache, telemetry preload, entry point). `telemetry: false` drops the preload (the benchmark's baseline).
 */
export function serviceCommand(kind: ServiceKind, telemetry = true): { command: string; args: string[] } {
  warmCompileCache();
  const script: string = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).scripts[kind];
  const [node, ...words] = script.split(/\s+/);
  if (node !== 'node') throw new Error(`package.json script "${kind}" must start with node: ${script}`);
  const args = words.map((w) => (w.startsWith('./') || w.startsWith('app/') ? path.join(REPO_ROOT, w) : w));
  const preload = args.findIndex((arg) => arg.endsWith(path.join('app', 'telemetry', 'preload.ts')));
  if (!telemetry && preload > 0) args.splice(preload - 1, 2);
  return { command: process.execPath, args };
}

let compileCacheWarm = false;

/** Once per harness process: strip every service's TypeScript into Node's compile cache, so that no
 *  service start loads the stripper and memory is what the image shows (app/start/compile-cache.mjs). */
function warmCompileCache(): void {
  if (compileCacheWarm) return;
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'app/start/warm-compile-cache.mjs')], { stdio: 'ignore' });
  compileCacheWarm = true;
}

export async function startService(
  kind: ServiceKind,
  options: { env: Record<string, string>; logDir: string; name?: string; port?: number; waitForHealthy?: boolean; telemetry?: boolean },
): Promise<Service> {
  const name = options.name ?? kind;
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(options.logDir, `${name}.log`);
  const { command, args } = serviceCommand(kind, options.telemetry ?? true);
  const env = {
    PATH: process.env.PATH ?? '',
    LOG_LEVEL: 'info',
    OTEL_SERVICE_NAME: name,
    ...options.env,
    [PORT_VARIABLE[kind]]: String(port),
  };
  let proc: Spawned | undefined;

  const start = async (overrides: Record<string, string> = {}) => {
    const refused = loaderAffectingKeys(overrides);
    if (refused.length) throw new Error(`refusing to start ${name} with ${refused.join(', ')}: it would change what code Node loads`);
    proc = spawnLogged(command, args, { env: { ...env, ...overrides }, cwd: REPO_ROOT, logFile });
    const readyPath = options.waitForHealthy === false ? '/metrics' : HEALTH_PATH[kind];
    await untilReady(proc, name, `${url}${readyPath}`, { logFile });
  };
  await start();
  return {
    kind,
    name,
    port,
    url,
    logFile,
    pid: () => proc?.child.pid,
    stop: async () => (proc ? await terminate(proc) : null),
    kill: async () => {
      if (proc) await killHard(proc);
    },
    start,
    isRunning: () => !!proc && proc.child.exitCode === null && proc.child.signalCode === null,
  };
}
