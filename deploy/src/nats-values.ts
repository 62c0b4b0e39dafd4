// Values for the official NATS Helm chart (nats-io/k8s, chart 2.14.x): three JetStream nodes with
// mutual TLS between them, TLS for clients, and the event-bus account with one nkey user per
// identity, its permissions taken from app/bus/identities.ts as the local server configuration's are.
import { type NatsIdentity, permissionsFor } from '../../app/bus/identities.ts';
import { EVENT_BUS_ACCOUNT } from '../../app/bus/server-config.ts';
import { DEFAULT_STREAM_LIMITS } from '../../app/bus/event-stream.ts';
import { natsCpuRequest } from './resources.ts';
import { type Bench, NAMESPACE, NATS, SECRETS } from './topology.ts';

export const NATS_CHART = { repository: 'https://nats-io.github.io/k8s/helm/charts/', name: 'nats', version: '2.14.2' } as const;

/** How the chart is installed with these values; the READMEs quote it and a test holds them to it. */
export const natsHelmCommand = (valuesFile = 'deploy/nats/values.yaml'): string =>
  `helm upgrade --install ${NATS.release} ${NATS_CHART.name} --repo ${NATS_CHART.repository} --version ${NATS_CHART.version} --namespace ${NAMESPACE} -f ${valuesFile}`;

/** The identities that connect in production; `auditor` is the test harness's. */
export const DEPLOYED_IDENTITIES: readonly NatsIdentity[] = ['provisioner', 'gateway', 'publisher', 'consumer'];

/** Server certificate and key (tls.crt, tls.key) naming `nats`, `*.nats-headless` and the FQDNs. */
export const NATS_SERVER_TLS_SECRET = 'nats-server-tls';
/** Public nkeys (U…) by identity: not secret, but per installation; deploy/README.md makes it. */
export const NATS_PUBLIC_KEYS_CONFIGMAP = 'nats-identities';

/** The stream's byte cap plus a quarter for the durables' state, the raft logs and compaction. */
export const JETSTREAM_VOLUME_GIB = Math.ceil((DEFAULT_STREAM_LIMITS.maxBytes / 1024 ** 3) * 1.25);

const nkeyVariable = (identity: NatsIdentity) => `NKEY_${identity.toUpperCase()}`;

export function natsValues(bench: Bench) {
  const tls = { enabled: true, secretName: NATS_SERVER_TLS_SECRET };
  return {
    tlsCA: { enabled: true, secretName: SECRETS.natsCa.name, key: SECRETS.natsCa.key },
    config: {
      cluster: {
        enabled: true,
        replicas: NATS.nodes,
        // Routes authenticate each other by certificate: only a node with a cert from our CA joins.
        tls: { ...tls, merge: { verify: true } },
      },
      jetstream: { enabled: true, fileStore: { enabled: true, pvc: { enabled: true, size: `${JETSTREAM_VOLUME_GIB}Gi` } } },
      nats: { port: NATS.clientPort, tls },
      monitor: { enabled: true, port: NATS.monitorPort },
      // No no_auth_user: an anonymous client is refused. Each nkey comes from the environment
      // (NATS config reads $VARIABLES), so the committed file holds no installation's keys.
      merge: {
        accounts: {
          [EVENT_BUS_ACCOUNT]: {
            jetstream: 'enabled',
            users: DEPLOYED_IDENTITIES.map((identity) => {
              const { publish, subscribe } = permissionsFor(identity, NATS.layout);
              return {
                nkey: `<< $${nkeyVariable(identity)} >>`,
                permissions: { publish: { allow: publish }, subscribe: { allow: subscribe } },
              };
            }),
          },
        },
      },
    },
    container: {
      env: {
        ...Object.fromEntries(
          DEPLOYED_IDENTITIES.map((identity) => [
            nkeyVariable(identity),
            { valueFrom: { configMapKeyRef: { name: NATS_PUBLIC_KEYS_CONFIGMAP, key: identity } } },
          ]),
        ),
        // Go's collector works to stay under this, well before the container's limit kills it.
        GOMEMLIMIT: '900MiB',
      },
      // CPU from the bench (deploy/src/resources.ts). Memory is not measured there: JetStream keeps
      // its file store on disk and at the design's rates holds little in memory, so 512Mi reserved
      // and 1Gi as the ceiling; re-check both against the staging load test.
      resources: {
        requests: { cpu: natsCpuRequest(bench), memory: '512Mi' },
        limits: { cpu: '1', memory: '1Gi' },
      },
    },
    // The exporter sidecar serves job `nats` (deploy/monitoring: PodMonitor).
    promExporter: { enabled: true, port: NATS.exporterPort },
    podTemplate: {
      // One node per Kubernetes node: two nodes lost at once would lose the stream's quorum.
      topologySpreadConstraints: { 'kubernetes.io/hostname': { maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' } },
    },
    podDisruptionBudget: { enabled: true },
    // Its default context is anonymous, which this server refuses.
    natsBox: { enabled: false },
  };
}
