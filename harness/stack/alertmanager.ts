// A real Alertmanager process on free loopback ports, for tests, the demo and drills.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './ports.ts';
import { spawnLogged, terminate, untilReady, type Spawned } from './processes.ts';

export type Alertmanager = { url: string; port: number; stop(): Promise<void> };

/** Debian ships the binary as prometheus-alertmanager; upstream calls it alertmanager. */
export const ALERTMANAGER_BINARY = 'prometheus-alertmanager';

export async function startAlertmanager(options: { configFile: string; dir: string; port?: number }): Promise<Alertmanager> {
  const port = options.port ?? (await freePort());
  mkdirSync(options.dir, { recursive: true });
  const proc: Spawned = spawnLogged(
    ALERTMANAGER_BINARY,
    [
      `--config.file=${options.configFile}`,
      `--storage.path=${path.join(options.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // A single instance: no gossip port, no peers to look for.
      '--cluster.listen-address=',
    ],
    { logFile: path.join(options.dir, 'alertmanager.log') },
  );
  const url = `http://127.0.0.1:${port}`;
  await untilReady(proc, 'alertmanager', `${url}/-/ready`, { logFile: path.join(options.dir, 'alertmanager.log'), timeoutMs: 20_000 });
  return { url, port, stop: async () => void (await terminate(proc)) };
}
