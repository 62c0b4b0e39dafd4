// The three services and the provisioning step as Kubernetes workloads. The gateway's pod template
// is built here and placed in the Argo Rollout (rollout.ts); the others are StatefulSets.
import { Job } from 'kubernetes-models/batch/v1/Job';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { NatsIdentity } from '../../app/bus/identities.ts';
import { natsStartupEnv } from '../../app/config/nats-settings.ts';
import { type Bench, IMAGE, MOUNTS, NATS, PART_OF, SECRETS, SERVICES, type ServiceId, WEBHOOK_ENDPOINT } from './topology.ts';
import { resourcesFor } from './resources.ts';

/** Files readable by the pod's group only: the nkey seed and the tokens are credentials. */
const SECRET_FILE_MODE = 0o440;
/** The image's `node` user (compose/Dockerfile). */
const NODE_UID = 1000;
/** The stream is replicated on every NATS node; the gateway refuses to start on a weaker one. */
export const STREAM_REPLICAS = NATS.nodes;

/** How long start-up may take before the kubelet gives up: the services wait this long for the
 *  provisioned stream and durables (NATS_STARTUP_WAIT_MS's default), then start listening. */
export const STARTUP_BUDGET_SECONDS = Number(natsStartupEnv.NATS_STARTUP_WAIT_MS.parse(undefined)) / 1000 + 20;
const PROBE_PERIOD_SECONDS = 10;

export const labelsOf = (id: ServiceId | 'nats-provision') => ({
  'app.kubernetes.io/name': id === 'nats-provision' ? id : SERVICES[id].job,
  'app.kubernetes.io/component': id,
  'app.kubernetes.io/part-of': PART_OF,
});
export const selectorOf = (id: ServiceId) => ({ 'app.kubernetes.io/name': SERVICES[id].job });

const literal = (name: string, value: string): IEnvVar => ({ name, value });

function natsEnv(identity: NatsIdentity): IEnvVar[] {
  return [
    literal('NATS_URL', NATS.url),
    literal('NATS_NKEY_SEED_FILE', `${MOUNTS.natsIdentity}/${SECRETS.natsIdentity(identity).key}`),
    literal('NATS_TLS_CA_FILE', `${MOUNTS.natsCa}/${SECRETS.natsCa.key}`),
  ];
}

function natsVolumes(identity: NatsIdentity): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  const seed = SECRETS.natsIdentity(identity);
  return {
    volumes: [
      {
        name: 'nats-identity',
        secret: { secretName: seed.name, defaultMode: SECRET_FILE_MODE, items: [{ key: seed.key, path: seed.key }] },
      },
      { name: 'nats-ca', secret: { secretName: SECRETS.natsCa.name, items: [{ key: SECRETS.natsCa.key, path: SECRETS.natsCa.key }] } },
    ],
    mounts: [
      { name: 'nats-identity', mountPath: MOUNTS.natsIdentity, readOnly: true },
      { name: 'nats-ca', mountPath: MOUNTS.natsCa, readOnly: true },
    ],
  };
}

/** One Secret key as a file under /run/secrets/<secret name>/, for a `<NAME>_FILE` variable. */
function secretFile(variable: string, secret: { name: string; key: string }) {
  return {
    env: literal(`${variable}_FILE`, `${MOUNTS.secrets}/${secret.name}/${secret.key}`),
    volume: {
      name: secret.name,
      secret: { secretName: secret.name, defaultMode: SECRET_FILE_MODE, items: [{ key: secret.key, path: secret.key }] },
    },
    mount: { name: secret.name, mountPath: `${MOUNTS.secrets}/${secret.name}`, readOnly: true },
  };
}

const containerSecurity = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  // The image strips its TypeScript at build (compile cache under node_modules/.cache), so nothing
  // writes below / at run time; /tmp and /data are volumes.
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

const podSecurity = {
  runAsNonRoot: true,
  runAsUser: NODE_UID,
  runAsGroup: NODE_UID,
  // Volumes (the inbox PVC, the secret files) are group-owned by the node user.
  fsGroup: NODE_UID,
  seccompProfile: { type: 'RuntimeDefault' as const },
};

type PodOptions = {
  id: ServiceId;
  bench: Bench;
  env: IEnvVar[];
  files: ReturnType<typeof secretFile>[];
  dataVolume?: 'pvc';
};

/** A service's pod: probes on its own health endpoints, bench-sized resources, files for secrets. */
export function podTemplate({ id, bench, env, files, dataVolume }: PodOptions): IPodTemplateSpec {
  const shape = SERVICES[id];
  const nats = natsVolumes(shape.identity);
  const http = (path: string) => ({ httpGet: { path, port: 'http' } });
  const container: IContainer = {
    name: id,
    image: IMAGE,
    ports: [
      { name: 'http', containerPort: shape.port },
      ...(shape.metrics ? [{ name: 'metrics', containerPort: shape.metrics.port }] : []),
    ],
    env: [
      // The image's CMD starts app/$SERVICE/main.ts (compose/Dockerfile).
      literal('SERVICE', id),
      literal('OTEL_SERVICE_NAME', shape.job),
      literal(shape.hostVariable, '0.0.0.0'),
      literal(shape.portVariable, String(shape.port)),
      ...(shape.metrics ? [literal(shape.metrics.portVariable, String(shape.metrics.port))] : []),
      ...natsEnv(shape.identity),
      ...env,
      ...files.map((f) => f.env),
    ],
    resources: resourcesFor(bench, id),
    startupProbe: { ...http(shape.probes.startup), periodSeconds: 5, failureThreshold: Math.ceil(STARTUP_BUDGET_SECONDS / 5) },
    // Three missed checks (30 s) before a restart: a GC pause or a slow scrape is not a dead process.
    livenessProbe: { ...http(shape.probes.liveness), periodSeconds: PROBE_PERIOD_SECONDS, timeoutSeconds: 3, failureThreshold: 3 },
    readinessProbe: { ...http(shape.probes.readiness), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
    securityContext: containerSecurity,
    volumeMounts: [
      { name: 'tmp', mountPath: MOUNTS.tmp },
      ...nats.mounts,
      ...files.map((f) => f.mount),
      ...(dataVolume ? [{ name: 'data', mountPath: MOUNTS.data }] : []),
    ],
  };
  if (id === 'gateway') {
    // Endpoints are removed asynchronously: keep answering for a few seconds after the pod is
    // marked terminating, so no publisher request lands on a closed port.
    container.lifecycle = { preStop: { sleep: { seconds: 5 } } };
  }
  return {
    metadata: { labels: labelsOf(id) },
    spec: {
      serviceAccountName: PART_OF,
      // No service talks to the Kubernetes API.
      automountServiceAccountToken: false,
      securityContext: podSecurity,
      containers: [container],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }, ...nats.volumes, ...files.map((f) => f.volume)],
      // One replica per node first: losing a node then costs one replica of each service.
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: selectorOf(id) },
        },
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: selectorOf(id) },
        },
      ],
    },
  };
}

export function gatewayPodTemplate(bench: Bench): IPodTemplateSpec {
  return podTemplate({
    id: 'gateway',
    bench,
    env: [literal('WEBHOOK_SIGNATURE_VALIDATION_ENABLED', 'true'), literal('NATS_STREAM_REPLICAS', String(STREAM_REPLICAS))],
    files: [secretFile('WEBHOOK_SIGNATURE_SECRET', SECRETS.webhookSigning)],
  });
}

/** Each replica keeps its own SQLite inbox (the dedup record) on its own volume. */
const INBOX_VOLUME_SIZE = '20Gi';

export function consumerStatefulSet(bench: Bench): StatefulSet {
  const shape = SERVICES.consumer;
  return new StatefulSet({
    metadata: { name: shape.job, labels: labelsOf('consumer') },
    spec: {
      serviceName: shape.job,
      // Replicas are KEDA's (scaling.ts): left out so that an apply does not reset them.
      selector: { matchLabels: selectorOf('consumer') },
      // Replicas are independent (each pulls from the shared durables): no need to start them in order.
      podManagementPolicy: 'Parallel',
      template: podTemplate({
        id: 'consumer',
        bench,
        env: [literal('CONSUMER_DB_PATH', `${MOUNTS.data}/inbox.sqlite`)],
        files: [],
        dataVolume: 'pvc',
      }),
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: INBOX_VOLUME_SIZE } } },
        },
      ],
    },
  });
}

/** Two publishers on a shared PostgreSQL outbox: either can die and the other delivers its rows. */
export const PUBLISHER_REPLICAS = 2;

export function publisherStatefulSet(bench: Bench): StatefulSet {
  const shape = SERVICES.publisher;
  const template = podTemplate({
    id: 'publisher',
    bench,
    env: [
      literal('CSR_WEBHOOK_URL', `http://${SERVICES.gateway.job}:${SERVICES.gateway.port}${WEBHOOK_ENDPOINT}`),
      literal('PUBLISHER_STORE', 'postgres'),
      // The pod name: stable across restarts in a StatefulSet, so a restarted publisher resumes its own claims at once.
      { name: 'PUBLISHER_INSTANCE_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ],
    files: [
      secretFile('CSR_WEBHOOK_SECRET', SECRETS.webhookSigning),
      secretFile('PUBLISHER_API_TOKEN', SECRETS.publisherApiToken),
      secretFile('PUBLISHER_DATABASE_URL', SECRETS.publisherDatabaseUrl),
    ],
  });
  return new StatefulSet({
    metadata: { name: shape.job, labels: labelsOf('publisher') },
    spec: {
      serviceName: shape.job,
      replicas: PUBLISHER_REPLICAS,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selectorOf('publisher') },
      template,
    },
  });
}

export function serviceFor(id: ServiceId): Service {
  const shape = SERVICES[id];
  return new Service({
    metadata: { name: shape.job, labels: { ...labelsOf(id), 'event-bus/job': shape.job } },
    spec: {
      selector: selectorOf(id),
      ports: [
        { name: 'http', port: shape.port, targetPort: 'http' },
        // The ServiceMonitor finds its endpoint on the Service by this name.
        ...(shape.metrics ? [{ name: 'metrics', port: shape.metrics.port, targetPort: 'metrics' }] : []),
      ],
    },
  });
}

/** A drain takes one replica at a time; the others carry the traffic (or the durables) meanwhile. */
export function disruptionBudgetFor(id: ServiceId): PodDisruptionBudget {
  return new PodDisruptionBudget({
    metadata: { name: SERVICES[id].job, labels: labelsOf(id) },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorOf(id) } },
  });
}

export function serviceAccount(): ServiceAccount {
  return new ServiceAccount({
    metadata: { name: PART_OF, labels: { 'app.kubernetes.io/part-of': PART_OF } },
    automountServiceAccountToken: false,
  });
}

/**
 * `npm run nats:provision` as a Job: creates the stream at three replicas and the durables, as the
 * provisioner identity (the services may not). The services wait for it (NATS_STARTUP_WAIT_MS).
 * A Job's template cannot change in place: delete the finished Job before applying a new version.
 */
export function provisionJob(): Job {
  const nats = natsVolumes('provisioner');
  return new Job({
    metadata: { name: 'nats-provision', labels: labelsOf('nats-provision') },
    spec: {
      backoffLimit: 6,
      template: {
        metadata: { labels: labelsOf('nats-provision') },
        spec: {
          restartPolicy: 'OnFailure',
          serviceAccountName: PART_OF,
          automountServiceAccountToken: false,
          securityContext: podSecurity,
          containers: [
            {
              name: 'nats-provision',
              image: IMAGE,
              command: ['node', 'app/bus/provision-cli.ts'],
              env: [...natsEnv('provisioner'), literal('NATS_STREAM_REPLICAS', String(STREAM_REPLICAS))],
              resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
              securityContext: containerSecurity,
              volumeMounts: [{ name: 'tmp', mountPath: MOUNTS.tmp }, ...nats.mounts],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '16Mi' } }, ...nats.volumes],
        },
      },
    },
  });
}
