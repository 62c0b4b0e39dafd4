// compose's one-shot `nats-setup` service: generates, once, the NATS CA and server certificate (for
// the compose service names), an nkey per identity and the server configurations, then hands each
// service only its own credential. Runs as root inside the setup image (Node and openssl):
//
//   node app/bus/compose-setup-cli.ts /out
//
// /out/pki          every key, kept across runs (volume nats-pki, mounted by this service only)
// /out/server       CA, certificate, key and nats.conf / nats-1..3.conf, for the nats containers (root)
// /out/<identity>   <identity>.nk and ca.pem, for that service alone (the image's node user)
import { chmodSync, chownSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NatsIdentity } from './identities.ts';
import { EVENT_BUS_LAYOUT } from './layout.ts';
import { ensureNatsCredentials } from './pki.ts';
import { natsServerConfig } from './server-config.ts';

const NODE_USER = { uid: 1000, gid: 1000 };
const CLUSTER_NODES = ['nats-1', 'nats-2', 'nats-3'];
const IDENTITIES: NatsIdentity[] = ['gateway', 'publisher', 'consumer', 'provisioner'];

const out = process.argv[2] ?? '/out';
const credentials = ensureNatsCredentials(path.join(out, 'pki'), { hosts: ['nats', ...CLUSTER_NODES] });

// Run by anyone else (a test), the files simply stay the caller's.
const chown = process.getuid?.() === 0 ? chownSync : () => undefined;

function place(dir: string, files: Record<string, string>, owner: { uid: number; gid: number }): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o700);
  for (const [name, source] of Object.entries(files)) {
    const target = path.join(dir, name);
    rmSync(target, { force: true });
    copyFileSync(source, target);
    chown(target, owner.uid, owner.gid);
    chmodSync(target, 0o400);
  }
  chown(dir, owner.uid, owner.gid);
  chmodSync(dir, 0o500);
}

const serverDir = path.join(out, 'server');
place(
  serverDir,
  { 'ca.pem': credentials.caFile, 'server.pem': credentials.certFile, 'server-key.pem': credentials.keyFile },
  { uid: 0, gid: 0 },
);
const tls = { certFile: '/etc/nats/server.pem', keyFile: '/etc/nats/server-key.pem', caFile: '/etc/nats/ca.pem' };
const node = (serverName: string, cluster: boolean) =>
  natsServerConfig({
    serverName,
    listen: { host: '0.0.0.0', port: 4222 },
    monitor: { host: '0.0.0.0', port: 8222 },
    storeDir: '/data',
    tls,
    users: Object.fromEntries(IDENTITIES.map((identity) => [identity, credentials.publicKeys[identity]])),
    layout: EVENT_BUS_LAYOUT,
    cluster: cluster
      ? { name: 'event-bus', listen: { host: '0.0.0.0', port: 6222 }, routes: CLUSTER_NODES.map((n) => `nats://${n}:6222`) }
      : undefined,
  });
chmodSync(serverDir, 0o700);
for (const [file, text] of [['nats.conf', node('nats', false)], ...CLUSTER_NODES.map((n) => [`${n}.conf`, node(n, true)])] as const) {
  rmSync(path.join(serverDir, file), { force: true });
  writeFileSync(path.join(serverDir, file), text, { mode: 0o400 });
}
chmodSync(serverDir, 0o500);

for (const identity of IDENTITIES) {
  place(path.join(out, identity), { [`${identity}.nk`]: credentials.seedFiles[identity], 'ca.pem': credentials.caFile }, NODE_USER);
}
process.stdout.write(`nats-setup: credentials for ${IDENTITIES.join(', ')} and configurations for nats, ${CLUSTER_NODES.join(', ')}\n`);
