// NATS as the event bus runs it, for the stack, the benchmark and tests that start services on
// their own: credentials generated under the state directory (CA, server certificate, one nkey per
// identity), nats-server (one node or a three-node cluster) on the generated configuration, and
// the explicit provisioning step, run as the real `npm run nats:provision` process.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { accessOptions } from '../../app/bus/connection.ts';
import { DEFAULT_STREAM_LIMITS } from '../../app/bus/event-stream.ts';
import type { NatsIdentity } from '../../app/bus/identities.ts';
import { EVENT_BUS_LAYOUT } from '../../app/bus/layout.ts';
import { ensureNatsCredentials, natsIdentityEnv, type NatsCredentials } from '../../app/bus/pki.ts';
import { startNatsCluster, startNatsServer, type NatsServer } from './nats-server.ts';
import { REPO_ROOT } from './service.ts';

export type EventBusNats = {
  nodes: NatsServer[];
  /** Every node's client URL, comma-separated (NATS_URL). */
  url: string;
  credentials: NatsCredentials;
  /** NATS_URL, the identity's seed file and the CA: what a service connecting as `identity` needs. */
  env(identity: NatsIdentity): Record<string, string>;
  /** A client connection as `identity`, for tests; close it yourself. */
  connect(identity: NatsIdentity): Promise<NatsConnection>;
  /** Runs `npm run nats:provision` (as its own process) against these nodes. */
  provision(env?: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
  kill(): Promise<void>;
};

export type EventBusNatsOptions = {
  dir: string;
  topology?: 'single' | 'cluster';
  ports?: number[];
  monitorPorts?: number[];
  /** Stream replicas: 3 in the cluster topology unless given. */
  replicas?: number;
  /** Skip the provisioning step (tests of what happens without it). */
  provision?: boolean;
};

export async function startEventBusNats(options: EventBusNatsOptions): Promise<EventBusNats> {
  const topology = options.topology ?? 'single';
  const credentials = ensureNatsCredentials(path.join(options.dir, 'credentials'));
  // A budget declared rather than 75 % of whatever disk this machine has free: the stream
  // reserves its byte cap up front, and a test must not fail on a fuller disk. Nothing near it is written.
  const security = { credentials, layout: EVENT_BUS_LAYOUT, maxFileStoreBytes: 2 * DEFAULT_STREAM_LIMITS.maxBytes };
  const nodes =
    topology === 'cluster'
      ? await startNatsCluster({ dir: options.dir, ports: options.ports, monitorPorts: options.monitorPorts, security })
      : [await startNatsServer({ dir: options.dir, port: options.ports?.[0], monitorPort: options.monitorPorts?.[0], security })];
  const url = nodes.map((n) => n.url).join(',');
  const replicas = options.replicas ?? (topology === 'cluster' ? 3 : 1);
  const env = (identity: NatsIdentity) => ({ NATS_URL: url, ...natsIdentityEnv(credentials, identity) });
  // For a service restarted by hand (runbooks): `env $(cat .demo/nats/gateway.env) npm run -s gateway`.
  for (const identity of ['gateway', 'consumer', 'publisher', 'provisioner'] as const) {
    writeFileSync(
      path.join(options.dir, `${identity}.env`),
      Object.entries(env(identity))
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
      { mode: 0o600 },
    );
  }
  const bus: EventBusNats = {
    nodes,
    url,
    credentials,
    env,
    connect: async (identity) =>
      await connect({
        ...accessOptions(
          { servers: nodes.map((n) => n.url), nkey: { seedFile: credentials.seedFiles[identity] }, tls: { caFile: credentials.caFile } },
          identity,
        ),
        timeout: 5000,
      }),
    provision: async (extra = {}) => {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'app/bus/provision-cli.ts')], {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          LOG_LEVEL: 'info',
          ...env('provisioner'),
          NATS_STREAM_REPLICAS: String(replicas),
          NATS_PROVISION_TIMEOUT_MS: '60000',
          ...extra,
        },
        timeout: 90_000,
      }).catch((err: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`npm run nats:provision failed: ${err.stderr?.trim() || err.message}`);
      });
      return stdout + stderr;
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
    kill: async () => {
      await Promise.allSettled(nodes.map((n) => n.kill()));
    },
  };
  if (options.provision !== false) {
    try {
      await bus.provision();
    } catch (err) {
      await bus.kill();
      throw err;
    }
  }
  return bus;
}
