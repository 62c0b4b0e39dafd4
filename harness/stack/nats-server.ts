// A real nats-server with JetStream for tests, the demo and chaos runs: a container through
// testcontainers when a container runtime exists, otherwise the local binary on free ports.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './ports.ts';
import { killHard, spawnLogged, terminate, untilReady, type Spawned } from './processes.ts';
import { waitFor } from './wait.ts';

export type NatsServer = {
  name: string;
  url: string;
  port: number;
  monitorUrl: string;
  /** Graceful stop; the store directory is kept so a later start() recovers the stream. */
  stop(): Promise<void>;
  /** SIGKILL: the crash case. */
  kill(): Promise<void>;
  start(): Promise<void>;
  isRunning(): boolean;
};

export type NatsServerOptions = {
  dir: string;
  name?: string;
  port?: number;
  monitorPort?: number;
  /** Cluster membership: this node's route port and every node's route URL. */
  cluster?: { name: string; port: number; routes: string[] };
};

export async function startNatsServer(options: NatsServerOptions): Promise<NatsServer> {
  if (!options.cluster && (await containerRuntimeAvailable())) return await startNatsContainer(options);
  return await startNatsBinary(options);
}

async function startNatsBinary(options: NatsServerOptions): Promise<NatsServer> {
  const name = options.name ?? 'nats-0';
  const port = options.port ?? (await freePort());
  const monitorPort = options.monitorPort ?? (await freePort());
  const storeDir = path.join(options.dir, name);
  mkdirSync(storeDir, { recursive: true });
  const args = ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-n', name, '-js', '-sd', storeDir];
  if (options.cluster) {
    args.push('--cluster_name', options.cluster.name, '--cluster', `nats://127.0.0.1:${options.cluster.port}`, '--routes', options.cluster.routes.join(','));
  }
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  let proc: Spawned | undefined;

  const start = async () => {
    proc = spawnLogged('nats-server', args, { logFile: path.join(options.dir, `${name}.log`) });
    // A clustered node is only healthy once its peers are up, so for clusters wait for the port alone.
    const ready = options.cluster ? `${monitorUrl}/varz` : `${monitorUrl}/healthz?js-enabled-only=true`;
    await untilReady(proc, `nats-server ${name}`, ready, { logFile: path.join(options.dir, `${name}.log`), timeoutMs: 20_000 });
  };
  await start();
  return {
    name,
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorUrl,
    stop: async () => {
      if (proc) await terminate(proc);
    },
    kill: async () => {
      if (proc) await killHard(proc);
    },
    start,
    isRunning: () => !!proc && proc.child.exitCode === null && proc.child.signalCode === null,
  };
}

async function containerRuntimeAvailable(): Promise<boolean> {
  if (process.env.EVENT_BUS_NO_CONTAINERS === '1') return false;
  // Only ask testcontainers when a runtime could plausibly exist; its probe is slow otherwise.
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function startNatsContainer(options: NatsServerOptions): Promise<NatsServer> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const name = options.name ?? 'nats-0';
  const port = options.port ?? (await freePort());
  const monitorPort = options.monitorPort ?? (await freePort());
  const storeDir = path.join(options.dir, name);
  mkdirSync(storeDir, { recursive: true });
  type Started = Awaited<ReturnType<InstanceType<typeof GenericContainer>['start']>>;
  let container: Started | undefined;
  // Fixed host ports and a bind-mounted store, so a stopped server comes back at the same URL with its data.
  const start = async () => {
    container = await new GenericContainer('nats:2.10-alpine')
      .withCommand(['-js', '-sd', '/data', '-m', '8222', '-n', name])
      .withExposedPorts({ container: 4222, host: port }, { container: 8222, host: monitorPort })
      .withBindMounts([{ source: storeDir, target: '/data' }])
      .withWaitStrategy(Wait.forHttp('/healthz?js-enabled-only=true', 8222))
      .start();
  };
  await start();
  const stop = async () => {
    await container?.stop({ timeout: 10_000 });
    container = undefined;
  };
  return {
    name,
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorUrl: `http://127.0.0.1:${monitorPort}`,
    stop,
    kill: async () => {
      await container?.stop({ timeout: 0 });
      container = undefined;
    },
    start,
    isRunning: () => container !== undefined,
  };
}

/**
 * A JetStream cluster of `size` nodes on loopback (the clustered topology), ready once it has
 * elected a JetStream meta leader.
 */
export async function startNatsCluster(options: { dir: string; size?: number; ports?: number[]; monitorPorts?: number[] }): Promise<NatsServer[]> {
  const size = options.size ?? 3;
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`);
  const nodes = await Promise.all(
    routePorts.map((routePort, i) =>
      startNatsBinary({
        dir: options.dir,
        name: `nats-${i + 1}`,
        port: options.ports?.[i],
        monitorPort: options.monitorPorts?.[i],
        cluster: { name: 'event-bus', port: routePort, routes },
      }),
    ),
  );
  await waitFor('the JetStream cluster to elect a meta leader', async () => {
    const res = await fetch(`${nodes[0]!.monitorUrl}/jsz`);
    const jsz = (await res.json()) as { meta_cluster?: { leader?: string; cluster_size?: number } };
    return Boolean(jsz.meta_cluster?.leader) && (jsz.meta_cluster?.cluster_size ?? 0) >= size;
  }, { timeoutMs: 30_000, intervalMs: 250 });
  return nodes;
}
