// A real nats-server with JetStream for tests, the demo and chaos runs: a container through
// testcontainers when a container runtime exists, otherwise the local binary on free ports. With
// `security` it runs the generated configuration (app/bus/server-config.ts): identities,
// permissions, TLS for clients and for cluster routes; without, it is an open development server.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BusLayout } from '../../app/bus/identities.ts';
import type { NatsCredentials } from '../../app/bus/pki.ts';
import { natsServerConfig, type NatsServerConfigOptions } from '../../app/bus/server-config.ts';
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
  /** The local process (undefined in a container): the benchmark reads its CPU time. */
  pid(): number | undefined;
};

export type NatsSecurity = {
  credentials: NatsCredentials;
  layout: BusLayout;
  /** The JetStream storage budget of each node; unset: 75 % of the free disk. */
  maxFileStoreBytes?: number;
};

export type NatsServerOptions = {
  dir: string;
  name?: string;
  port?: number;
  monitorPort?: number;
  /** Cluster membership: this node's route port and every node's route URL. */
  cluster?: { name: string; port: number; routes: string[] };
  security?: NatsSecurity;
};

/** The server configuration of one node as the harness runs it: loopback ports, every identity. */
export function harnessServerConfig(options: {
  name: string;
  port: number;
  monitorPort: number;
  storeDir: string;
  security: NatsSecurity;
  cluster?: NatsServerOptions['cluster'];
  host?: string;
  tlsDir?: string;
}): string {
  const { credentials, layout } = options.security;
  const host = options.host ?? '127.0.0.1';
  const tlsDir = options.tlsDir;
  const inTls = (file: string) => (tlsDir ? path.posix.join(tlsDir, path.basename(file)) : file);
  const config: NatsServerConfigOptions = {
    serverName: options.name,
    listen: { host, port: options.port },
    monitor: { host, port: options.monitorPort },
    storeDir: options.storeDir,
    maxFileStoreBytes: options.security.maxFileStoreBytes,
    tls: { certFile: inTls(credentials.certFile), keyFile: inTls(credentials.keyFile), caFile: inTls(credentials.caFile) },
    users: credentials.publicKeys,
    layout,
    cluster: options.cluster && {
      name: options.cluster.name,
      listen: { host, port: options.cluster.port },
      routes: options.cluster.routes,
    },
  };
  return natsServerConfig(config);
}

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
  let args = ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-n', name, '-js', '-sd', storeDir];
  if (options.cluster) {
    args.push(
      '--cluster_name',
      options.cluster.name,
      '--cluster',
      `nats://127.0.0.1:${options.cluster.port}`,
      '--routes',
      options.cluster.routes.join(','),
    );
  }
  if (options.security) {
    const configFile = path.join(options.dir, `${name}.conf`);
    writeFileSync(
      configFile,
      harnessServerConfig({ name, port, monitorPort, storeDir, security: options.security, cluster: options.cluster }),
      { mode: 0o600 },
    );
    // Everything is in the file: `pgrep -af 'nats-server -c'` shows which one a process runs.
    args = ['-c', configFile];
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
    pid: () => proc?.child.pid,
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
  let command = ['-js', '-sd', '/data', '-m', '8222', '-n', name];
  const mounts = [{ source: storeDir, target: '/data' }];
  if (options.security) {
    // The same configuration with the container's paths and ports; the credentials directory is mounted read-only.
    const configFile = path.join(options.dir, `${name}.container.conf`);
    writeFileSync(
      configFile,
      harnessServerConfig({
        name,
        port: 4222,
        monitorPort: 8222,
        host: '0.0.0.0',
        storeDir: '/data',
        tlsDir: '/etc/nats/tls',
        security: options.security,
      }),
      { mode: 0o644 },
    );
    mounts.push(
      { source: configFile, target: '/etc/nats/nats.conf' },
      { source: options.security.credentials.dir, target: '/etc/nats/tls' },
    );
    command = ['-c', '/etc/nats/nats.conf'];
  }
  // Fixed host ports and a bind-mounted store, so a stopped server comes back at the same URL with its data.
  const start = async () => {
    container = await new GenericContainer('nats:2.10-alpine')
      .withCommand(command)
      .withExposedPorts({ container: 4222, host: port }, { container: 8222, host: monitorPort })
      .withBindMounts(mounts)
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
    pid: () => undefined,
  };
}

/**
 * A JetStream cluster of `size` nodes on loopback (the clustered topology), ready once it has
 * elected a JetStream meta leader.
 */
export async function startNatsCluster(options: {
  dir: string;
  size?: number;
  ports?: number[];
  monitorPorts?: number[];
  security?: NatsSecurity;
}): Promise<NatsServer[]> {
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
        security: options.security,
      }),
    ),
  );
  await waitFor(
    'the JetStream cluster to elect a meta leader',
    async () => {
      const res = await fetch(`${nodes[0]!.monitorUrl}/jsz`);
      const jsz = (await res.json()) as { meta_cluster?: { leader?: string; cluster_size?: number } };
      return Boolean(jsz.meta_cluster?.leader) && (jsz.meta_cluster?.cluster_size ?? 0) >= size;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  return nodes;
}
