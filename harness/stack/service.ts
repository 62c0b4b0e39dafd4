// Runs one of our services (gateway, publisher, consumer) as a real process, exactly as
// `npm run <service>` does: Node with the telemetry preload, configured by environment only.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';
import { killHard, spawnLogged, terminate, untilReady, type Spawned } from './processes.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

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
  /** Starts (again); `overrides` add environment for this start only (e.g. a slow-consumer drill). */
  start(overrides?: Record<string, string>): Promise<void>;
  isRunning(): boolean;
};

const PORT_VARIABLE: Record<ServiceKind, string> = { gateway: 'WEBHOOK_PORT', publisher: 'PUBLISHER_PORT', consumer: 'CONSUMER_PORT' };
const HEALTH_PATH: Record<ServiceKind, string> = { gateway: '/health/all', publisher: '/health', consumer: '/health' };

/** `telemetry: false` runs the service without the OpenTelemetry preload (the benchmark's baseline). */
export function serviceCommand(kind: ServiceKind, telemetry = true): { command: string; args: string[] } {
  const preload = telemetry ? ['--import', path.join(REPO_ROOT, 'app/telemetry/preload.ts')] : [];
  return { command: process.execPath, args: [...preload, path.join(REPO_ROOT, `app/${kind}/main.ts`)] };
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
  const env = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', OTEL_SERVICE_NAME: name, ...options.env, [PORT_VARIABLE[kind]]: String(port) };
  let proc: Spawned | undefined;

  const start = async (overrides: Record<string, string> = {}) => {
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
