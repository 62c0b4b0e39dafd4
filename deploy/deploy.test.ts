// deploy/ without a cluster: the committed YAML is what the generator renders, every object passes
// its schema, and each object is cross-checked against the code it deploys: the config parsers, the
// rule files, alertmanager.yml, the dashboards, the SLO spec, the bus layout and its permissions.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Rollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { permissionsFor } from '../app/bus/identities.ts';
import { ensureNatsCredentials, type NatsCredentials } from '../app/bus/pki.ts';
import { parseProvisionConfig, schema as provisionSchema } from '../app/bus/provision-config.ts';
import { EVENT_BUS_LAYOUT } from '../app/bus/layout.ts';
import { CONSUMER_SECRETS, parseConsumerConfig, schema as consumerSchema } from '../app/consumer/config.ts';
import { GATEWAY_SECRETS, parseGatewayConfig, schema as gatewaySchema } from '../app/gateway/config.ts';
import { PUBLISHER_SECRETS, parsePublisherConfig, schema as publisherSchema } from '../app/publisher/config.ts';
import { knownSeries } from '../dashboards/known-series.ts';
import { DASHBOARD_FILES } from '../dashboards/catalog.ts';
import { tempDir } from '../harness/integration/support.ts';
import { parsePromql, selectors } from '../observability/promql/analysis.ts';
import { REPO_ROOT } from '../observability/repo-root.ts';
import { errorBudgetOf } from '../slo/spec.ts';
import { BURN_RATE_ALERTS } from '../slo/generate-rules.ts';
import { DASHBOARD_BASE_URL } from '../observability/conventions.ts';
import { type AlertmanagerFile, clusterDashboardLink, GRAFANA_URL, parseMatcher } from './src/monitoring.ts';
import { DEPLOYED_IDENTITIES, NATS_CHART, natsHelmCommand, natsValues } from './src/nats-values.ts';
import { ingressAllowed, KEDA_PEER, networkPolicies, type Pod, PROMETHEUS_PEER, PUBLISHER_CLIENT_LABEL } from './src/network.ts';
import { type DeployInputs, DEPLOY_DIR, deployObjects, loadDeployInputs, renderDeploy } from './src/render.ts';
import { CPU_LIMIT_MILLICORES, MEMORY_LIMIT_FACTOR, resourcesFor, SIZING_EVENTS_PER_SECOND } from './src/resources.ts';
import { CANARY_HASH_ARG, CANARY_SLOS, canaryErrorRatio, withMatcher } from './src/rollout.ts';
import {
  CONSUMER_SCALING,
  DESIGN_PEAK_EVENTS_PER_SECOND,
  END_TO_END_SLO_SECONDS,
  GATEWAY_SCALING,
  gatewayReplicaCapacity,
  pipelineCeiling,
} from './src/scaling.ts';
import { NAMESPACE, NATS, SECRETS, SERVICES, type ServiceId } from './src/topology.ts';

// Any is fine here: the objects are read back as the YAML a cluster would see.
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML
type Doc = any;

let inputs: DeployInputs;
let rendered: Map<string, string>;
/** Every document of every rendered file, parsed back from YAML. */
let docs: Doc[];
const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
const one = (kind: string, name: string): Doc => {
  const found = docs.find((d) => d.kind === kind && d.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

beforeAll(() => {
  inputs = loadDeployInputs();
  rendered = renderDeploy(inputs);
  docs = [...rendered]
    .filter(([file]) => file !== 'nats/values.yaml' && !file.endsWith('kustomization.yaml'))
    .flatMap(([, text]) => text.split(/^---$/m).map((t) => parse(t)));
});

// ------------------------------------------------------------------ generation

describe('deploy/ is generated', () => {
  it('the committed files are exactly what npm run deploy:render writes', () => {
    const committed = (dir: string): string[] =>
      readdirSync(path.join(DEPLOY_DIR, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? e.name === 'src'
            ? []
            : committed(path.join(dir, e.name))
          : e.name.endsWith('.yaml')
            ? [path.join(dir, e.name)]
            : [],
      );
    const handWritten = ['nats/chart-defaults.yaml'];
    expect(
      committed('')
        .filter((f) => !handWritten.includes(f))
        .sort(),
      'run npm run deploy:render',
    ).toEqual([...rendered.keys()].sort());
    for (const [file, text] of rendered)
      expect(readFileSync(path.join(DEPLOY_DIR, file), 'utf8'), `${file}: run npm run deploy:render`).toBe(text);
  });

  it('every object passes its kubernetes-models schema, and the schema can fail', () => {
    for (const objects of Object.values(deployObjects(inputs))) for (const o of objects) expect(() => o.validate()).not.toThrow();
    const broken = new Rollout({
      ...one('Rollout', SERVICES.gateway.job),
      spec: { ...one('Rollout', SERVICES.gateway.job).spec, replicas: 'two' },
    });
    expect(() => broken.validate()).toThrow(/replicas/);
  });

  it('the root kustomization covers every folder, each folder every file, all in one namespace', () => {
    const root = parse(rendered.get('kustomization.yaml')!);
    expect(root.namespace).toBe(NAMESPACE);
    const folders = [...new Set([...rendered.keys()].filter((f) => f.includes('/') && !f.startsWith('nats/')).map((f) => f.split('/')[0]))];
    expect(root.resources.sort()).toEqual(folders.sort());
    for (const folder of folders) {
      const files = [...rendered.keys()]
        .filter((f) => f.startsWith(`${folder}/`) && !f.endsWith('kustomization.yaml'))
        .map((f) => path.basename(f));
      expect(parse(rendered.get(`${folder}/kustomization.yaml`)!).resources.sort()).toEqual(files.sort());
    }
  });
});

// ------------------------------------------------------------------ workloads

/** `claims`: the volumes a StatefulSet's volumeClaimTemplates provide. */
type Workload = { id: ServiceId | 'nats-provision'; pod: IPodSpec; container: IContainer; claims: string[] };

function workloads(): Workload[] {
  const podOf = (d: Doc) => d.spec.template.spec as IPodSpec;
  const entries: [Workload['id'], Doc][] = [
    ['gateway', one('Rollout', SERVICES.gateway.job)],
    ['publisher', one('StatefulSet', SERVICES.publisher.job)],
    ['consumer', one('StatefulSet', SERVICES.consumer.job)],
    ['nats-provision', one('Job', 'nats-provision')],
  ];
  return entries.map(([id, d]) => ({
    id,
    pod: podOf(d),
    container: podOf(d).containers[0]!,
    claims: (d.spec.volumeClaimTemplates ?? []).map((c: Doc) => c.metadata.name),
  }));
}

describe('workloads', () => {
  it('run as non-root on a read-only root filesystem, without privilege escalation, with /tmp as a volume', () => {
    for (const { id, pod, container } of workloads()) {
      expect(pod.securityContext?.runAsNonRoot, id).toBe(true);
      expect(pod.automountServiceAccountToken, id).toBe(false);
      expect(container.securityContext, id).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
      expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir, `${id}: /tmp`).toBeDefined();
    }
  });

  it('take requests and limits from the bench: the measured peak RSS and CPU per event at the sizing rate', () => {
    const bench = inputs.bench;
    // Recomputed here from bench.json, not through the generator's helpers. Each service's CPU and
    // memory come from the same run: the publisher's from PostgreSQL (its store here), the consumer's
    // own figure from the SQLite run whose peak RSS it is sized by.
    const atSizingRate = (run: 'sqlite' | 'postgres') => bench.pipeline[run].stages.find((s) => s.rate === SIZING_EVENTS_PER_SECOND)!;
    const expected: Record<ServiceId, { cpu: number; memMb: number }> = {
      gateway: { cpu: bench.gatewayThroughput.gateway.serverCpuMicrosPerRequest, memMb: bench.peakRssMb.gateway },
      publisher: { cpu: atSizingRate('postgres').publisherCpuMicrosPerEvent, memMb: bench.peakRssMb.publisherPostgres },
      consumer: { cpu: atSizingRate('sqlite').consumerCpuMicrosPerEvent, memMb: bench.peakRssMb.consumer },
    };
    const mi = (q: string) => Number(/^(\d+)Mi$/.exec(q)![1]);
    const m = (q: string) => Number(/^(\d+)m$/.exec(q)![1]);
    for (const { id, container } of workloads()) {
      if (id === 'nats-provision') continue;
      const r = container.resources as { requests: Record<string, string>; limits: Record<string, string> };
      expect(r).toEqual(resourcesFor(bench, id));
      expect(mi(r.requests.memory!), id).toBeGreaterThanOrEqual(expected[id].memMb);
      expect(mi(r.requests.memory!) - expected[id].memMb, id).toBeLessThan(16);
      expect(mi(r.limits.memory!), id).toBeGreaterThanOrEqual(expected[id].memMb * MEMORY_LIMIT_FACTOR);
      expect(m(r.requests.cpu!), id).toBeGreaterThanOrEqual((expected[id].cpu * SIZING_EVENTS_PER_SECOND) / 1000);
      expect(m(r.requests.cpu!) - (expected[id].cpu * SIZING_EVENTS_PER_SECOND) / 1000, id).toBeLessThan(10);
      expect(m(r.limits.cpu!), id).toBe(CPU_LIMIT_MILLICORES);
    }
  });

  it('spread across nodes, each with a PodDisruptionBudget selecting its pods', () => {
    for (const { id, pod } of workloads()) {
      if (id === 'nats-provision') continue;
      const labels = docs.find((d) => d.metadata?.name === SERVICES[id].job && d.spec?.template)!.spec.template.metadata.labels;
      expect(
        pod.topologySpreadConstraints?.map((c) => c.topologyKey),
        id,
      ).toContain('kubernetes.io/hostname');
      const pdb = one('PodDisruptionBudget', SERVICES[id].job);
      expect(
        Object.entries(pdb.spec.selector.matchLabels).every(([k, v]) => labels[k] === v),
        id,
      ).toBe(true);
      expect(pdb.spec.maxUnavailable, id).toBe(1);
    }
  });

  it('probe a named port that is the container port the service is configured to listen on', () => {
    for (const { id, container } of workloads()) {
      if (id === 'nats-provision') continue;
      const shape = SERVICES[id];
      const metrics = shape.metrics ? [{ name: 'metrics', containerPort: shape.metrics.port }] : [];
      expect(container.ports).toEqual([{ name: 'http', containerPort: shape.port }, ...metrics]);
      const probes = [container.startupProbe, container.livenessProbe, container.readinessProbe];
      expect(probes.map((p) => p?.httpGet?.path)).toEqual([shape.probes.startup, shape.probes.liveness, shape.probes.readiness]);
      // Health stays on the main port: kubelet probes are not subject to the NetworkPolicies.
      for (const p of probes) expect(p?.httpGet?.port).toBe('http');
      const service = one('Service', shape.job);
      expect(service.spec.ports).toEqual([
        { name: 'http', port: shape.port, targetPort: 'http' },
        ...metrics.map((m) => ({ name: m.name, port: m.containerPort, targetPort: m.name })),
      ]);
    }
    // Only the gateway separates them: the others' callers are already limited to Prometheus or their clients.
    expect(SERVICES.gateway.metrics).toBeDefined();
  });
});

// ------------------------------------------------------------------ environment

type Parser = {
  fields: Record<string, z.ZodType>;
  secrets: readonly string[];
  parse: (env: Record<string, string | undefined>) => unknown;
};
const PARSERS: Record<Workload['id'], Parser> = {
  gateway: { fields: gatewaySchema.shape, secrets: GATEWAY_SECRETS, parse: parseGatewayConfig },
  publisher: { fields: publisherSchema.shape, secrets: PUBLISHER_SECRETS, parse: parsePublisherConfig },
  consumer: { fields: consumerSchema.shape, secrets: CONSUMER_SECRETS, parse: parseConsumerConfig },
  'nats-provision': { fields: provisionSchema.shape, secrets: [], parse: parseProvisionConfig },
};

/** The image's CMD (compose/Dockerfile): what a container without its own command runs. */
const IMAGE_CMD = readFileSync(path.join(REPO_ROOT, 'compose/Dockerfile'), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('CMD'))
  .at(-1)!;

/** The modules a container's process runs first: its command's, or the image CMD's with $SERVICE filled in. */
function entryFiles(container: IContainer): string[] {
  const service = container.env?.find((v) => v.name === 'SERVICE')?.value;
  const words =
    container.command ?? (/else exec ([^;]+);/.exec(IMAGE_CMD)?.[1] ?? '').replaceAll('$SERVICE', service ?? '$SERVICE').split(/\s+/);
  return words.filter((w) => /\.(ts|mjs)$/.test(w)).map((w) => path.normalize(w));
}

/** Every file a process loads from the repository: its entries and, transitively, their relative imports. */
function loadedFiles(entries: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
    for (const m of text.matchAll(/(?:\bfrom|\bimport\(?)\s*['"](\.\.?\/[^'"]+)['"]/g)) visit(path.join(path.dirname(file), m[1]!));
  };
  for (const entry of entries) visit(entry);
  return seen;
}

/**
 * Variables a container's process reads outside its parser: process.env.X in the files it loads
 * (not in another service's), and those the image's CMD reads when the container runs it.
 */
function processVariables(container: IContainer): Set<string> {
  const fromCode = [...loadedFiles(entryFiles(container))].flatMap((f) =>
    [...readFileSync(path.join(REPO_ROOT, f), 'utf8').matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!),
  );
  const fromImage = container.command ? [] : [...IMAGE_CMD.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!);
  return new Set([...fromCode, ...fromImage]);
}

describe('every container environment, parsed by its own service', () => {
  let root: string;
  let credentials: NatsCredentials;
  /** What each referenced Secret key holds in this test: real seeds and a real CA, so the parsers' file checks run. */
  let fixtures: Record<string, Record<string, string>>;

  beforeAll(() => {
    root = tempDir('deploy-env');
    credentials = ensureNatsCredentials(path.join(root, 'credentials'));
    fixtures = {
      [SECRETS.natsCa.name]: { [SECRETS.natsCa.key]: readFileSync(credentials.caFile, 'utf8') },
      ...Object.fromEntries(
        DEPLOYED_IDENTITIES.map((identity) => [
          SECRETS.natsIdentity(identity).name,
          { [SECRETS.natsIdentity(identity).key]: readFileSync(credentials.seedFiles[identity], 'utf8') },
        ]),
      ),
      [SECRETS.webhookSigning.name]: { [SECRETS.webhookSigning.key]: `whsec_${randomBytes(32).toString('base64')}\n` },
      [SECRETS.publisherApiToken.name]: { [SECRETS.publisherApiToken.key]: `${randomBytes(32).toString('base64url')}\n` },
      [SECRETS.publisherDatabaseUrl.name]: { [SECRETS.publisherDatabaseUrl.key]: 'postgres://outbox:secret@postgres:5432/outbox\n' },
    };
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** The environment as the pod would see it, its mounted files materialised under `root`. */
  function environment({ id, pod, container, claims }: Workload): Record<string, string> {
    const dir = path.join(root, id);
    const mounts = (container.volumeMounts ?? []).map((m) => ({ mount: m, volume: pod.volumes?.find((v) => v.name === m.name) }));
    for (const { mount, volume } of mounts) {
      expect(volume ?? claims.includes(mount.name), `${id}: ${mount.name} is mounted but neither a volume nor a claim`).toBeTruthy();
      mkdirSync(path.join(dir, mount.mountPath), { recursive: true });
      if (!volume?.secret) continue;
      for (const item of volume.secret.items ?? []) {
        const content = fixtures[volume.secret.secretName!]?.[item.key];
        if (content === undefined)
          throw new Error(`${id}: no fixture for Secret ${volume.secret.secretName}/${item.key}: add one to this test`);
        writeFileSync(path.join(dir, mount.mountPath, item.path), content, { mode: 0o600 });
      }
    }
    const env: Record<string, string> = {};
    for (const variable of container.env ?? []) {
      if (variable.valueFrom?.fieldRef) env[variable.name] = `${SERVICES[id as ServiceId]?.job ?? id}-0`;
      else if (variable.valueFrom)
        throw new Error(`${id}: ${variable.name} comes from ${Object.keys(variable.valueFrom)}: teach this test to resolve it`);
      else {
        const value = variable.value ?? '';
        const mounted = mounts.find(({ mount }) => value.startsWith(`${mount.mountPath}/`));
        env[variable.name] = mounted ? path.join(dir, value) : value;
        // A secret's file must be there; a data file (the inbox) is created by the service in its volume.
        const expected = mounted?.volume?.secret ? env[variable.name]! : path.dirname(env[variable.name]!);
        if (mounted) expect(existsSync(expected), `${id}: ${variable.name} names a file no volume provides`).toBe(true);
      }
    }
    return env;
  }

  it.each(['gateway', 'publisher', 'consumer', 'nats-provision'] as const)('%s: valid, and no variable unknown to the parser', (id) => {
    const workload = workloads().find((w) => w.id === id)!;
    const parser = PARSERS[id];
    const env = environment(workload);
    const known = new Set([
      ...Object.keys(parser.fields),
      ...parser.secrets.map((s) => `${s}_FILE`),
      ...processVariables(workload.container),
    ]);
    expect(Object.keys(env).filter((name) => !known.has(name))).toEqual([]);
    const config = parser.parse(env) as {
      port?: number;
      metricsPort?: number;
      nats: { servers: string[]; stream: string; subjectPrefix: string; nkey?: unknown; tls?: unknown };
    };
    // Every service authenticates and verifies the server: nothing anonymous, nothing unverified.
    expect(config.nats.nkey, id).toBeDefined();
    expect(config.nats.tls, id).toBeDefined();
    expect(config.nats.servers).toEqual([NATS.url]);
    if (id !== 'nats-provision') expect(config.port).toBe(SERVICES[id].port);
    if (id === 'gateway') expect(config.metricsPort).toBe(SERVICES.gateway.metrics?.port);
  });

  it("each process's own variables are those of the files it loads, not of every service", () => {
    const files = Object.fromEntries(workloads().map((w) => [w.id, loadedFiles(entryFiles(w.container))]));
    expect([...files.gateway!]).toEqual(
      expect.arrayContaining(['app/gateway/main.ts', 'app/telemetry/preload.ts', 'app/telemetry/logger.ts']),
    );
    expect([...files.consumer!].filter((f) => f.startsWith('app/gateway/') || f.startsWith('app/publisher/'))).toEqual([]);
    expect([...files['nats-provision']!]).toContain('app/bus/provision-cli.ts');
    // The Job runs its own command, without the image CMD's telemetry preload.
    const job = workloads().find((w) => w.id === 'nats-provision')!.container;
    expect(processVariables(job).has('OTEL_SERVICE_NAME')).toBe(false);
    expect([...processVariables(workloads().find((w) => w.id === 'gateway')!.container)]).toEqual(
      expect.arrayContaining(['LOG_LEVEL', 'OTEL_SERVICE_NAME', 'SERVICE']),
    );
  });

  it('secrets arrive as files or secretKeyRef, never as literal values', () => {
    for (const { id, container } of workloads()) {
      for (const variable of container.env ?? []) {
        if (!PARSERS[id].secrets.includes(variable.name) || variable.value === undefined) continue;
        // A NATS URL is a secret only when it carries a password; ours authenticate by nkey.
        expect(variable.name === 'NATS_URL' && !variable.value.includes('@'), `${id}: ${variable.name} is a literal secret`).toBe(true);
      }
      for (const name of ['TOKEN', 'SECRET', 'PASSWORD']) {
        const literal = (container.env ?? []).filter((v) => v.name.includes(name) && !v.name.endsWith('_FILE') && v.value !== undefined);
        expect(
          literal.map((v) => v.name),
          id,
        ).toEqual([]);
      }
    }
  });

  it('the stream the services expect is the one the provisioning step creates: name, subjects, duplicate window, three replicas', () => {
    const parsed = Object.fromEntries(workloads().map((w) => [w.id, PARSERS[w.id].parse(environment(w))])) as Doc;
    const plan = parsed['nats-provision'].plan.stream;
    expect(plan).toMatchObject({ name: EVENT_BUS_LAYOUT.stream, subjectPrefix: EVENT_BUS_LAYOUT.subjectPrefix, replicas: NATS.nodes });
    expect(parsed.gateway.nats).toMatchObject({
      stream: plan.name,
      subjectPrefix: plan.subjectPrefix,
      duplicateWindowSeconds: plan.duplicateWindowSeconds,
      replicas: plan.replicas,
    });
    for (const id of ['publisher', 'consumer'])
      expect(parsed[id].nats, id).toMatchObject({ stream: plan.name, subjectPrefix: plan.subjectPrefix });
    expect(parsed['nats-provision'].plan.durables).toEqual([...EVENT_BUS_LAYOUT.durables]);
    // The publisher posts to the gateway's Service, on the endpoint the gateway serves.
    expect(parsed.publisher.webhookUrls).toEqual([`http://${SERVICES.gateway.job}:${SERVICES.gateway.port}${parsed.gateway.endpoint}`]);
  });
});

// ------------------------------------------------------------------ NATS chart values

describe('deploy/nats/values.yaml', () => {
  const values = () => parse(rendered.get('nats/values.yaml')!);

  it('sets only keys the chart reads (its own values.yaml), free-form only under merge, patch and env', () => {
    const chart = parse(readFileSync(path.join(DEPLOY_DIR, 'nats/chart-defaults.yaml'), 'utf8'));
    const freeForm = new Set(['merge', 'patch', 'env', 'topologySpreadConstraints', 'resources']);
    const unknown: string[] = [];
    const walk = (ours: Doc, theirs: Doc, at: string) => {
      for (const [key, value] of Object.entries(ours)) {
        if (!theirs || typeof theirs !== 'object' || !(key in theirs)) unknown.push(`${at}${key}`);
        else if (!freeForm.has(key) && value && typeof value === 'object' && !Array.isArray(value))
          walk(value, theirs[key], `${at}${key}.`);
      }
    };
    walk(values(), chart, '');
    expect(unknown).toEqual([]);
  });

  it('both READMEs install the chart as the generator does: its name, version, values and namespace', () => {
    const command = natsHelmCommand();
    expect(command).toContain(`--version ${NATS_CHART.version}`);
    expect(command).toContain(`--namespace ${NAMESPACE}`);
    for (const file of ['README.md', 'deploy/README.md']) {
      // A command continued over lines (` \` then indentation) is read as one line.
      const text = readFileSync(path.join(REPO_ROOT, file), 'utf8').replace(/ \\\n\s*/g, ' ');
      const commands = text.match(/helm upgrade --install [^`\n]+/g) ?? [];
      expect(commands.length, file).toBeGreaterThan(0);
      for (const c of commands) expect(c.trim(), file).toBe(command);
    }
    expect(rendered.get('nats/values.yaml')!.replace(/ \\\n#\s*/g, ' ')).toContain(`# ${command}\n`);
  });

  it('runs three JetStream nodes with TLS for clients and mutual TLS between routes', () => {
    const { config } = values();
    expect(config.cluster).toMatchObject({ enabled: true, replicas: 3, tls: { enabled: true, merge: { verify: true } } });
    expect(config.jetstream.enabled).toBe(true);
    expect(config.nats).toMatchObject({ port: NATS.clientPort, tls: { enabled: true } });
    expect(Number(/^(\d+)Gi$/.exec(config.jetstream.fileStore.pvc.size)![1]) * 1024 ** 3).toBeGreaterThan(
      (Number(provisionSchema.shape.NATS_STREAM_MAX_BYTES.parse(undefined)) as number) * 1.2,
    );
  });

  it('admits exactly the deployed identities, with the permissions app/bus/identities.ts gives them', () => {
    const { config, container } = values();
    const users = config.merge.accounts.EVENT_BUS.users as { nkey: string; permissions: Doc }[];
    expect(users).toHaveLength(DEPLOYED_IDENTITIES.length);
    DEPLOYED_IDENTITIES.forEach((identity, i) => {
      const variable = /^<< \$([A-Z_]+) >>$/.exec(users[i]!.nkey)![1]!;
      expect(container.env[variable].valueFrom.configMapKeyRef.key).toBe(identity);
      const p = permissionsFor(identity, EVENT_BUS_LAYOUT);
      expect(users[i]!.permissions).toEqual({ publish: { allow: p.publish }, subscribe: { allow: p.subscribe } });
    });
    expect(natsValues(inputs.bench).config.merge.accounts.EVENT_BUS).not.toHaveProperty('no_auth_user');
  });
});

// ------------------------------------------------------------------ monitoring

describe('prometheus-operator resources', () => {
  it('the PrometheusRule holds exactly the rule groups of alerts/ and slo/, group by group, its dashboard links on GRAFANA_URL', () => {
    const groups = one('PrometheusRule', 'webhook-event-bus').spec.groups as Doc[];
    const local = inputs.ruleFiles.flatMap((f) => f.groups);
    expect(groups.map((g) => g.name)).toEqual(local.map((g) => g.name));
    // The local files link to the compose Grafana; the cluster's links differ in that base only.
    const onCluster = (text: string) => text.replaceAll(DASHBOARD_BASE_URL, `${GRAFANA_URL}/d/`);
    for (const group of local)
      expect(
        groups.find((g) => g.name === group.name),
        group.name,
      ).toEqual(JSON.parse(onCluster(JSON.stringify(group))));
    const links = groups.flatMap((g) => g.rules.map((r: Doc) => r.annotations?.dashboard)).filter(Boolean) as string[];
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link.startsWith(`${GRAFANA_URL}/d/`), link).toBe(true);
    expect(() => clusterDashboardLink('http://grafana.local/d/x')).toThrow(/outside/);
    expect(inputs.ruleFiles.map((f) => f.path)).toEqual(
      expect.arrayContaining(['slo/event-bus-slo.rules.yml', 'alerts/event-bus.rules.yml']),
    );
  });

  it('no rendered object points at localhost: the compose stack does not exist in a cluster', () => {
    const local = /localhost|127\.0\.0\.1/;
    for (const [file, text] of rendered) expect(local.test(text), file).toBe(false);
    // The check sees the annotations it is meant for: the local rule files do carry localhost.
    expect(local.test(JSON.stringify(inputs.ruleFiles))).toBe(true);
  });

  it("the meta alerts' job names are ones this deployment scrapes as, or that deploy/README.md tells the operator to set", () => {
    const meta = inputs.ruleFiles.flatMap((f) => f.groups.flatMap((g) => g.rules)).find((r) => r.alert === 'MonitoringTargetDown')!;
    const jobs = /job=~"([^"]+)"/.exec(String(meta.expr))![1]!.split('|');
    const natsJob = one('PodMonitor', 'nats').spec.podMetricsEndpoints[0].relabelings.find((r: Doc) => r.targetLabel === 'job').replacement;
    const readme = readFileSync(path.join(DEPLOY_DIR, 'README.md'), 'utf8');
    for (const job of jobs.filter((j) => j !== natsJob))
      expect(readme, `deploy/README.md: how ${job}'s self-scrape gets job="${job}"`).toContain(`replacement: ${job}`);
    expect(jobs).toContain(natsJob);
  });

  it('every PromQL in the PrometheusRule and the AnalysisTemplate parses and reads only exported or recorded series', () => {
    const known = knownSeries();
    const analysis = one('AnalysisTemplate', 'gateway-slo').spec.metrics.map((m: Doc) => ({
      where: `AnalysisTemplate ${m.name}`,
      expr: m.provider.prometheus.query.replaceAll(CANARY_HASH_ARG, '6d4f9c7b8'),
    }));
    const rules = one('PrometheusRule', 'webhook-event-bus').spec.groups.flatMap((g: Doc) =>
      g.rules.map((r: Doc) => ({ where: `${g.name}/${r.alert ?? r.record}`, expr: String(r.expr) })),
    );
    expect(analysis).toHaveLength(CANARY_SLOS.length);
    const problems: string[] = [];
    for (const { where, expr } of [...rules, ...analysis]) {
      const parsed = parsePromql(expr);
      problems.push(...parsed.errors.map((e) => `${where}: ${e}`));
      for (const s of selectors(parsed)) if (!s.metric || !known.has(s.metric)) problems.push(`${where}: ${s.text} is not a known series`);
    }
    expect(problems).toEqual([]);
  });

  it('a ServiceMonitor per service, selecting its Service and port, with the job name the rules query', () => {
    const ruleText = inputs.ruleFiles.flatMap((f) => f.groups.flatMap((g) => g.rules.map((r) => r.expr))).join('\n');
    for (const id of Object.keys(SERVICES) as ServiceId[]) {
      const { job } = SERVICES[id];
      const monitor = one('ServiceMonitor', job);
      const service = one('Service', job);
      expect(
        Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => service.metadata.labels[k] === v),
        job,
      ).toBe(true);
      expect(service.metadata.labels[monitor.spec.jobLabel], job).toBe(job);
      expect(service.spec.ports.map((p: Doc) => p.name)).toContain(monitor.spec.endpoints[0].port);
      expect(monitor.spec.endpoints[0].port, job).toBe(SERVICES[id].metrics ? 'metrics' : 'http');
      expect(ruleText).toContain(`job="${job}"`);
    }
  });

  it("the AlertmanagerConfig has alertmanager.yml's routes, inhibitions and receivers", () => {
    const spec = one('AlertmanagerConfig', 'webhook-event-bus').spec;
    const file: AlertmanagerFile = inputs.alertmanager;
    // Back to alertmanager.yml's form, independently of the generator.
    const matcher = (m: Doc) => `${m.name}${m.matchType}${JSON.stringify(m.value)}`;
    const normalise = (m: string) => matcher(parseMatcher(m));
    const route = (r: Doc): Doc => ({
      receiver: r.receiver,
      matchers: r.matchers?.map(matcher),
      group_by: r.groupBy,
      group_wait: r.groupWait,
      group_interval: r.groupInterval,
      repeat_interval: r.repeatInterval,
      continue: r.continue,
      routes: r.routes?.map(route),
    });
    const localRoute = (r: Doc): Doc => ({ ...r, matchers: r.matchers?.map(normalise), routes: r.routes?.map(localRoute) });
    const clean = (v: unknown) => JSON.parse(JSON.stringify(v));
    expect(clean(route(spec.route))).toEqual(clean(localRoute(file.route)));
    expect(
      spec.inhibitRules.map((r: Doc) => ({ source: r.sourceMatch.map(matcher), target: r.targetMatch.map(matcher), equal: r.equal })),
    ).toEqual(
      file.inhibit_rules!.map((r) => ({
        source: r.source_matchers.map(normalise),
        target: r.target_matchers.map(normalise),
        equal: r.equal,
      })),
    );
    // Receivers field by field, back in alertmanager.yml's names. The secret files become Secret references.
    const secretRef = (ref: { name: string; key: string }) => `Secret ${ref.name}/${ref.key}`;
    const receiver = (r: Doc): Doc => ({
      name: r.name,
      webhook_configs: r.webhookConfigs?.map((w: Doc) => ({ url: w.url, send_resolved: w.sendResolved })),
      pagerduty_configs: r.pagerdutyConfigs?.map((p: Doc) => ({
        routing_key: secretRef(p.routingKey),
        send_resolved: p.sendResolved,
        description: p.description,
        links: p.pagerDutyLinkConfigs?.map((l: Doc) => ({ href: l.href, text: l.alt })),
      })),
      slack_configs: r.slackConfigs?.map((c: Doc) => ({
        api_url: secretRef(c.apiURL),
        channel: c.channel,
        send_resolved: c.sendResolved,
        title: c.title,
        title_link: c.titleLink,
        text: c.text,
      })),
    });
    const localReceiver = ({ pagerduty_configs, slack_configs, ...rest }: Doc): Doc => ({
      ...rest,
      pagerduty_configs: pagerduty_configs?.map(({ routing_key_file: _file, ...p }: Doc) => ({
        ...p,
        routing_key: secretRef(SECRETS.pagerdutyRoutingKey),
      })),
      // Slack's URL is global in alertmanager.yml (slack_api_url_file); each config carries it here.
      slack_configs: slack_configs?.map((c: Doc) => ({ ...c, api_url: secretRef(SECRETS.slackWebhookUrl) })),
    });
    expect(clean(spec.receivers.map(receiver))).toEqual(clean(file.receivers.map(localReceiver)));
    // Nothing in the CR that the comparison above does not read back.
    const read = {
      receiver: ['name', 'webhookConfigs', 'pagerdutyConfigs', 'slackConfigs'],
      webhookConfigs: ['url', 'sendResolved'],
      pagerdutyConfigs: ['routingKey', 'sendResolved', 'description', 'pagerDutyLinkConfigs'],
      slackConfigs: ['apiURL', 'channel', 'sendResolved', 'title', 'titleLink', 'text'],
    };
    for (const r of spec.receivers) {
      expect(
        Object.keys(r).filter((k) => !read.receiver.includes(k)),
        r.name,
      ).toEqual([]);
      for (const kind of ['webhookConfigs', 'pagerdutyConfigs', 'slackConfigs'] as const)
        for (const c of r[kind] ?? [])
          expect(
            Object.keys(c).filter((k) => !read[kind].includes(k)),
            `${r.name} ${kind}`,
          ).toEqual([]);
    }
  });

  it('parses Alertmanager matchers, and refuses one it does not understand', () => {
    expect(parseMatcher('alertname=~"A|B"')).toEqual({ name: 'alertname', matchType: '=~', value: 'A|B' });
    expect(parseMatcher('severity="critical"')).toEqual({ name: 'severity', matchType: '=', value: 'critical' });
    expect(parseMatcher('x!="a\\"b"')).toEqual({ name: 'x', matchType: '!=', value: 'a"b' });
    expect(() => parseMatcher('severity=critical')).toThrow(/not a matcher/);
  });

  it('every dashboard is a ConfigMap with the Grafana sidecar label, holding the generated JSON unchanged', () => {
    const maps = byKind('ConfigMap').filter((c) => c.metadata.labels?.grafana_dashboard === '1');
    expect(maps).toHaveLength(DASHBOARD_FILES.length);
    for (const { file } of DASHBOARD_FILES) {
      const map = maps.find((m) => path.basename(file) in m.data);
      expect(map?.data[path.basename(file)], file).toBe(readFileSync(path.join(REPO_ROOT, file), 'utf8'));
    }
  });
});

// ------------------------------------------------------------------ scaling and the canary

describe('scaling', () => {
  it('KEDA scales the consumers on the lag of every durable of the stream, within stated bounds', () => {
    const scaled = one('ScaledObject', SERVICES.consumer.job);
    expect(scaled.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: SERVICES.consumer.job });
    expect(scaled.spec.triggers.map((t: Doc) => t.metadata.consumer)).toEqual([...EVENT_BUS_LAYOUT.durables]);
    for (const t of scaled.spec.triggers) {
      expect(t.type).toBe('nats-jetstream');
      expect(t.metadata).toMatchObject({ account: 'EVENT_BUS', stream: EVENT_BUS_LAYOUT.stream, lagThreshold: '250' });
      expect(t.metadata.natsServerMonitoringEndpoint).toBe(`nats-headless.${NAMESPACE}.svc.cluster.local:${NATS.monitorPort}`);
    }
    expect([scaled.spec.minReplicaCount, scaled.spec.maxReplicaCount]).toEqual([CONSUMER_SCALING.min, CONSUMER_SCALING.max]);
    // The lag threshold is five seconds of peak traffic: the end-to-end SLO's own threshold.
    const e2e = inputs.sloSpecs.find((s) => s.name === 'end-to-end-latency')!;
    expect(e2e.good).toContain(`le=~"${END_TO_END_SLO_SECONDS}(\\\\.0)?"`);
    expect(CONSUMER_SCALING.lagThreshold).toBe(DESIGN_PEAK_EVENTS_PER_SECOND * END_TO_END_SLO_SECONDS);
  });

  it("the bounds' reasons hold for the bench's numbers, and deploy/README.md quotes them within 10 %", () => {
    const bench = inputs.bench;
    // "One consumer replica handles far more than the design's peak": the pipeline ran one.
    expect(pipelineCeiling(bench)).toBeGreaterThanOrEqual(10 * DESIGN_PEAK_EVENTS_PER_SECOND);
    // "Six gateways are far past any load the design foresees."
    expect(GATEWAY_SCALING.max * gatewayReplicaCapacity(bench)).toBeGreaterThanOrEqual(100 * DESIGN_PEAK_EVENTS_PER_SECOND);
    const readme = readFileSync(path.join(DEPLOY_DIR, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    const quoted = (pattern: RegExp) => Number(pattern.exec(readme)?.[1]?.replaceAll(',', ''));
    const near = (claimed: number, measured: number) => Math.abs(claimed - measured) / measured <= 0.1;
    const gateway = quoted(/one replica takes ~([\d,]+) events\/s/);
    const ceiling = quoted(/pipeline ceiling of ~([\d,]+) events\/s/);
    expect(near(gateway, gatewayReplicaCapacity(bench)), `gateway: README ${gateway}, bench ${gatewayReplicaCapacity(bench)}`).toBe(true);
    expect(near(ceiling, pipelineCeiling(bench)), `ceiling: README ${ceiling}, bench ${pipelineCeiling(bench)}`).toBe(true);
  });

  it('the gateway HPA scales the Rollout on CPU, never below what its PDB and the publisher failover need', () => {
    const hpa = one('HorizontalPodAutoscaler', SERVICES.gateway.job);
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: SERVICES.gateway.job });
    expect(hpa.spec.metrics[0].resource).toEqual({
      name: 'cpu',
      target: { type: 'Utilization', averageUtilization: GATEWAY_SCALING.cpuUtilization },
    });
    expect(hpa.spec.minReplicas).toBeGreaterThan(one('PodDisruptionBudget', SERVICES.gateway.job).spec.maxUnavailable);
    // Replicas belong to the autoscalers: a manifest that set them would undo scaling at every apply.
    expect(one('Rollout', SERVICES.gateway.job).spec.replicas).toBeUndefined();
    expect(one('StatefulSet', SERVICES.consumer.job).spec.replicas).toBeUndefined();
  });
});

describe('the canary', () => {
  it('steps 10 % → pause → 50 % → pause → 100 %, analysed in the background from the first pause', () => {
    const canary = one('Rollout', SERVICES.gateway.job).spec.strategy.canary;
    expect(canary.steps.map((s: Doc) => (s.setWeight !== undefined ? s.setWeight : 'pause'))).toEqual([10, 'pause', 50, 'pause', 100]);
    expect(canary.analysis).toMatchObject({
      templates: [{ templateName: 'gateway-slo' }],
      args: [{ name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } }],
    });
    // The ServiceMonitor gives every gateway series the hash the analysis selects on.
    expect(one('ServiceMonitor', SERVICES.gateway.job).spec.endpoints[0].relabelings[0].targetLabel).toBe('rollouts_pod_template_hash');
  });

  it("judges the SLOs' own SLIs against thresholds from their targets (3x burn: the ticket alert's 1-day factor)", () => {
    const metrics = one('AnalysisTemplate', 'gateway-slo').spec.metrics as Doc[];
    for (const name of CANARY_SLOS) {
      const spec = inputs.sloSpecs.find((s) => s.name === name)!;
      const metric = metrics.find((m) => m.name === name)!;
      const threshold = Math.round(errorBudgetOf(spec.objective) * BURN_RATE_ALERTS.ticket[0].factor * 1e9) / 1e9;
      expect(metric.successCondition).toBe(`len(result) > 0 && result[0] <= ${threshold}`);
      expect(metric.failureCondition).toBe(`len(result) > 0 && result[0] > ${threshold}`);
      expect(metric.provider.prometheus.query).toBe(canaryErrorRatio(spec));
      // The spec's metrics, each selector restricted to the canary.
      for (const s of selectors(parsePromql(metric.provider.prometheus.query)))
        expect(s.matchers, s.text).toContainEqual({ label: 'rollouts_pod_template_hash', op: '=', value: CANARY_HASH_ARG });
    }
    expect(metrics.find((m) => m.name === 'error-rate').successCondition).toContain('0.003');
    expect(metrics.find((m) => m.name === 'processing-latency').successCondition).toContain('0.15');
  });

  it.each([
    ['up', 'up{h="x"}'],
    ['up{}', 'up{h="x"}'],
    ['sum(rate(a_total{job="g"}[5m]))', 'sum(rate(a_total{job="g",h="x"}[5m]))'],
    [
      'rate(a[5m]) / on() rate(b{le=~"2(\\\\.0)?"}[5m] offset 1h)',
      'rate(a{h="x"}[5m]) / on() rate(b{le=~"2(\\\\.0)?",h="x"}[5m] offset 1h)',
    ],
  ])('withMatcher(%s) adds the matcher to every selector', (input, output) => {
    expect(withMatcher(input, 'h', 'x')).toBe(output);
  });
});

// ------------------------------------------------------------------ network policies

describe('network policies', () => {
  const ns = NAMESPACE;
  const pod = (labels: Record<string, string>, namespace = ns): Pod => ({ namespace, labels });
  const app = (id: ServiceId) => pod({ 'app.kubernetes.io/name': SERVICES[id].job });
  const nats = pod({ 'app.kubernetes.io/name': 'nats', 'app.kubernetes.io/instance': NATS.release });
  const prometheus = pod(PROMETHEUS_PEER.podSelector!.matchLabels!, 'monitoring');
  const keda = pod(KEDA_PEER.podSelector!.matchLabels!, 'keda');
  const provision = pod({ 'app.kubernetes.io/name': 'nats-provision' });
  const stranger = pod({ app: 'something-else' });
  const buddy = pod(PUBLISHER_CLIENT_LABEL);
  const strangerInMonitoring = pod({ app: 'grafana' }, 'monitoring');

  it.each([
    ['publisher → gateway webhook', app('publisher'), app('gateway'), 3000, true],
    ['consumer → gateway webhook', app('consumer'), app('gateway'), 3000, false],
    ['stranger → gateway webhook', stranger, app('gateway'), 3000, false],
    // Issue 16: only the publisher reaches the webhook; Prometheus only the metrics port.
    ['Prometheus → gateway webhook', prometheus, app('gateway'), 3000, false],
    ['Prometheus → gateway metrics', prometheus, app('gateway'), 9464, true],
    ['publisher → gateway metrics', app('publisher'), app('gateway'), 9464, false],
    ['Grafana → gateway metrics', strangerInMonitoring, app('gateway'), 9464, false],
    ['Prometheus → publisher metrics', prometheus, app('publisher'), 3001, true],
    ['Prometheus → consumer metrics', prometheus, app('consumer'), 3002, true],
    ['Prometheus → NATS exporter', prometheus, nats, NATS.exporterPort, true],
    ['Grafana → consumer metrics', strangerInMonitoring, app('consumer'), 3002, false],
    ['Buddy app → publisher API', buddy, app('publisher'), 3001, true],
    ['stranger → publisher API', stranger, app('publisher'), 3001, false],
    ['gateway → NATS', app('gateway'), nats, NATS.clientPort, true],
    ['consumer → NATS', app('consumer'), nats, NATS.clientPort, true],
    ['publisher → NATS (nats transport)', app('publisher'), nats, NATS.clientPort, true],
    ['provisioning Job → NATS', provision, nats, NATS.clientPort, true],
    ['stranger → NATS', stranger, nats, NATS.clientPort, false],
    ['Prometheus → NATS client port', prometheus, nats, NATS.clientPort, false],
    ['NATS node → NATS route', nats, nats, NATS.clusterPort, true],
    ['gateway → NATS route', app('gateway'), nats, NATS.clusterPort, false],
    ['KEDA → NATS monitoring', keda, nats, NATS.monitorPort, true],
    ['stranger → NATS monitoring', stranger, nats, NATS.monitorPort, false],
  ])('%s', (_name, from, to, port, allowed) => {
    expect(ingressAllowed(networkPolicies(), from, to, port)).toBe(allowed);
  });
});
