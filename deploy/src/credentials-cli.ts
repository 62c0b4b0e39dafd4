// `node deploy/src/credentials-cli.ts <dir>`: the NATS CA, the server certificate for the names the
// chart's pods and Services answer to, and one nkey seed per identity, made with the same code as
// compose's (app/bus/pki.ts), kept in <dir>. It prints the kubectl commands that turn them into
// the Secrets and the ConfigMap the manifests name; no key is printed.
import path from 'node:path';
import { ensureNatsCredentials } from '../../app/bus/pki.ts';
import { DEPLOYED_IDENTITIES, NATS_PUBLIC_KEYS_CONFIGMAP, NATS_SERVER_TLS_SECRET } from './nats-values.ts';
import { NAMESPACE, NATS, SECRETS } from './topology.ts';

/** Clients dial `nats` (NATS_URL); routes dial `<pod>.nats-headless` (the chart's route URLs). */
function natsServerHosts(namespace = NAMESPACE): string[] {
  const service = NATS.release;
  const headless = `${NATS.release}-headless`;
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
    `*.${headless}`,
    `*.${headless}.${namespace}`,
    `*.${headless}.${namespace}.svc`,
    `*.${headless}.${namespace}.svc.cluster.local`,
  ];
}

const dir = path.resolve(process.argv[2] ?? 'nats-credentials');
const credentials = ensureNatsCredentials(dir, { hosts: natsServerHosts() });
const n = `--namespace ${NAMESPACE}`;
const lines = [
  `kubectl ${n} create secret generic ${SECRETS.natsCa.name} --from-file=${SECRETS.natsCa.key}=${credentials.caFile}`,
  `kubectl ${n} create secret tls ${NATS_SERVER_TLS_SECRET} --cert=${credentials.certFile} --key=${credentials.keyFile}`,
  ...DEPLOYED_IDENTITIES.map(
    (identity) =>
      `kubectl ${n} create secret generic ${SECRETS.natsIdentity(identity).name} --from-file=${SECRETS.natsIdentity(identity).key}=${credentials.seedFiles[identity]}`,
  ),
  `kubectl ${n} create configmap ${NATS_PUBLIC_KEYS_CONFIGMAP} ${DEPLOYED_IDENTITIES.map((i) => `--from-literal=${i}=${credentials.publicKeys[i]}`).join(' ')}`,
];
process.stdout.write(`# NATS credentials in ${dir} (keep it private; rerunning keeps what is there)\n${lines.join('\n')}\n`);
