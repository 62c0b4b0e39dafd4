// The compose stack, checked offline: the file is valid (docker-compose config), Prometheus,
// Alertmanager and Grafana mount the very files the local demo uses, no rule or dashboard exists
// twice, and the image runs as a non-root user on Node 24 with only runtime dependencies.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ruleFilePaths } from '../observability/load-rule-files.ts';
import { DEMO_CONFIG } from '../alertmanager/demo-config.ts';
import { DASHBOARD_FILES } from '../dashboards/catalog.ts';
import { tempDir } from '../harness/integration/support.ts';
import { REPO_ROOT } from '../observability/repo-root.ts';
import { MIN_TOKEN_LENGTH } from '../app/config/env.ts';
import { parseSecrets } from '../app/signature/standard-webhooks.ts';

type ComposeConfig = {
  services: Record<
    string,
    {
      volumes?: string[];
      command?: string[];
      image?: string;
      profiles?: string[];
      environment?: Record<string, string>;
      secrets?: (string | { source: string })[];
    }
  >;
  secrets?: Record<string, { file: string }>;
};

const BASE = 'compose/docker-compose.yml';
const DRILL = 'compose/docker-compose.drill.yml';

function composeConfig(profiles: string, files: string[] = [BASE]): ComposeConfig {
  const out = execFileSync('docker-compose', [...files.flatMap((f) => ['-f', f]), 'config'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, COMPOSE_PROFILES: profiles },
  });
  return parse(out) as ComposeConfig;
}

/** A compose file as written (anchors merged), every service whatever its profile. */
const composeFile = (file: string) => parse(readFileSync(path.join(REPO_ROOT, file), 'utf8'), { merge: true }) as ComposeConfig;
const secretNames = (service: ComposeConfig['services'][string]) =>
  (service.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source));
/** Settings whose value is a credential: they may only name a file. */
const SECRET_SETTING = /SECRET|TOKEN|PASSWORD|DATABASE_URL/;

/** Host paths bind-mounted into a service, relative to the repository. */
const mounts = (config: ComposeConfig, service: string) =>
  (config.services[service]!.volumes ?? [])
    .map((v) => v.split(':')[0]!)
    .filter((p) => p.startsWith('/'))
    .map((p) => path.relative(REPO_ROOT, p));

const repoFiles = () =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim().split('\n');

describe('compose', () => {
  it.each(['single', 'cluster'])('docker-compose config accepts the %s profile', (profile) => {
    const config = composeConfig(profile);
    expect(Object.keys(config.services)).toEqual(expect.arrayContaining(['prometheus', 'alertmanager', 'grafana', 'k6', 'alert-receiver']));
  });

  it('defines the clustered topology: three NATS nodes, two gateways, a publisher that fails over', () => {
    const config = parse(readFileSync(path.join(REPO_ROOT, 'compose/docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { profiles?: string[]; environment?: Record<string, string> }>;
    };
    const cluster = Object.entries(config.services)
      .filter(([, s]) => s.profiles?.includes('cluster'))
      .map(([name]) => name);
    expect(cluster).toEqual(
      expect.arrayContaining(['nats-1', 'nats-2', 'nats-3', 'gateway-1', 'gateway-2', 'publisher-cluster', 'consumer-cluster']),
    );
    expect(config.services['gateway-1']!.environment!.NATS_STREAM_REPLICAS).toBe('3');
    expect(config.services['publisher-cluster']!.environment!.CSR_WEBHOOK_URL.split(',')).toHaveLength(2);
  });

  it('mounts the same rule, Alertmanager and dashboard files the local demo uses', () => {
    const config = composeConfig('single');
    expect(
      mounts(config, 'prometheus')
        .filter((p) => p.endsWith('.rules.yml'))
        .sort(),
    ).toEqual(ruleFilePaths().sort());
    expect(mounts(config, 'alertmanager')).toEqual([path.dirname(DEMO_CONFIG)]);
    expect(config.services.alertmanager!.command).toContain(`--config.file=/etc/alertmanager/${path.basename(DEMO_CONFIG)}`);
    expect(mounts(config, 'grafana').sort()).toEqual(['compose/grafana/provisioning', path.dirname(DASHBOARD_FILES[0].file)].sort());
    const provisioning = parse(readFileSync(path.join(REPO_ROOT, 'compose/grafana/provisioning/dashboards/event-bus.yml'), 'utf8'));
    const target = config.services.grafana!.volumes!.find((v) => v.includes('dashboards/generated'))!.split(':')[1];
    expect(provisioning.providers[0].options.path).toBe(target);
    expect(mounts(config, 'k6')).toEqual(['harness/k6']);
  });

  it('has no second copy of any rule file, Alertmanager configuration or dashboard', () => {
    // deploy/ embeds them in Kubernetes objects, rendered from these very files and drift-tested
    // (deploy/deploy.test.ts): not a copy anyone edits.
    const files = repoFiles().filter((f) => !f.startsWith('deploy/'));
    expect(files.filter((f) => f.endsWith('.rules.yml')).sort()).toEqual(ruleFilePaths().sort());
    const dashboards = files.filter(
      (f) => f.endsWith('.json') && !f.includes('node_modules') && /"panels"\s*:/.test(readFileSync(path.join(REPO_ROOT, f), 'utf8')),
    );
    expect(dashboards.sort()).toEqual(DASHBOARD_FILES.map((d) => d.file).sort());
    expect(files.filter((f) => /(^|\/)alertmanager[^/]*\.ya?ml$/.test(f)).sort()).toEqual([
      'alertmanager/alertmanager.demo.yml',
      'alertmanager/alertmanager.yml',
    ]);
  });

  it.each(['single', 'cluster'])('docker-compose config accepts the %s profile with the drill override', (profile) => {
    const config = composeConfig(profile, [BASE, DRILL]);
    // docker-compose 1.x prints every service with its profiles rather than only the active ones.
    const gateways = Object.entries(config.services).filter(
      ([, s]) => s.environment?.SERVICE === 'gateway' && (!s.profiles || s.profiles.includes(profile)),
    );
    expect(gateways.length).toBe(profile === 'cluster' ? 2 : 1);
    for (const [, gateway] of gateways) {
      expect(gateway.environment!.GATEWAY_ADMIN_TOKEN_FILE).toBe('/run/secrets/admin-token');
      expect(secretNames(gateway)).toEqual(expect.arrayContaining(['admin-token', 'webhook-signing-secret']));
    }
  });

  it('the base file gives no service an admin token, and no secret as a value: only *_FILE names of mounted secrets', () => {
    const base = composeFile(BASE);
    const problems: string[] = [];
    for (const [name, service] of Object.entries(base.services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/ADMIN_TOKEN/.test(key)) problems.push(`${name}: ${key} belongs in ${DRILL}`);
        if (/whsec_|demo-admin-token|\$\{/.test(String(value))) problems.push(`${name}: ${key} holds a literal or interpolated value`);
        if (!SECRET_SETTING.test(key)) continue;
        const mounted = /^\/run\/secrets\/(.+)$/.exec(String(value))?.[1];
        if (!key.endsWith('_FILE') || !mounted) problems.push(`${name}: ${key} must be a *_FILE naming /run/secrets/…`);
        else if (!secretNames(service).includes(mounted) || !base.secrets?.[mounted])
          problems.push(`${name}: ${key} names ${mounted}, which is not mounted`);
      }
    }
    expect(problems).toEqual([]);
    // The publisher's event API is closed to whatever else runs on the container network.
    for (const name of ['publisher', 'publisher-cluster', 'k6'])
      expect(base.services[name]!.environment!.PUBLISHER_API_TOKEN_FILE, name).toBe('/run/secrets/publisher-api-token');
    for (const name of ['gateway', 'gateway-1', 'gateway-2', 'publisher', 'publisher-cluster'])
      expect(base.services[name]!.environment!.SERVICE).toMatch(/^(gateway|publisher)$/);
  });

  it('the drill override adds the admin token, as a secret file, to every gateway and publisher and to nothing else', () => {
    const base = composeFile(BASE);
    const drill = composeFile(DRILL);
    const admin = Object.entries(base.services).filter(
      ([, s]) => s.environment?.SERVICE === 'gateway' || s.environment?.SERVICE === 'publisher',
    );
    expect(Object.keys(drill.services).sort()).toEqual(admin.map(([name]) => name).sort());
    for (const [name, service] of admin) {
      const variable = service.environment!.SERVICE === 'gateway' ? 'GATEWAY_ADMIN_TOKEN_FILE' : 'PUBLISHER_ADMIN_TOKEN_FILE';
      expect(drill.services[name]!.environment, name).toEqual({ [variable]: '/run/secrets/admin-token' });
      expect(secretNames(drill.services[name]!)).toEqual(['admin-token']);
    }
    expect(drill.secrets).toEqual({ 'admin-token': { file: './secrets/admin-token' } });
  });

  it('runs k6 only under a load profile, once the publisher of that topology is healthy', () => {
    type Service = ComposeConfig['services'][string] & { depends_on?: Record<string, { condition: string }>; healthcheck?: unknown };
    const services = composeFile(BASE).services as Record<string, Service>;
    const k6 = Object.entries(services).filter(([, s]) => s.image?.startsWith('grafana/k6'));
    expect(k6.map(([name]) => name).sort()).toEqual(['k6', 'k6-cluster']);
    const publisherOf: Record<string, string> = { load: 'publisher', 'load-cluster': 'publisher-cluster' };
    for (const [name, service] of k6) {
      // A plain `up` (COMPOSE_PROFILES=single or cluster) must not start 24 hours of load.
      expect(service.profiles, name).toHaveLength(1);
      const profile = service.profiles![0]!;
      expect(profile, name).toMatch(/^load/);
      const publisher = publisherOf[profile]!;
      expect(service.depends_on, name).toEqual({ [publisher]: { condition: 'service_healthy' } });
      expect(services[publisher]!.healthcheck, publisher).toBeDefined();
      // The publisher it waits for runs in the topology this load profile goes with.
      expect(services[publisher]!.profiles, publisher).toEqual([profile === 'load' ? 'single' : 'cluster']);
    }
    const env = readFileSync(path.join(REPO_ROOT, 'compose/.env'), 'utf8');
    expect(/^COMPOSE_PROFILES=(.*)$/m.exec(env)?.[1]?.split(','), 'the default profiles').not.toContain('load');
  });

  it('compose/.env holds settings, no secrets', () => {
    const lines = readFileSync(path.join(REPO_ROOT, 'compose/.env'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    for (const line of lines) {
      const [key, value] = [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)];
      expect(key, line).not.toMatch(SECRET_SETTING);
      expect(value, line).not.toMatch(/whsec_|demo-admin-token/);
    }
  });

  it('generate-secrets.sh writes every secret the files mount, once, in a 0700 directory, and git ignores compose/secrets/', () => {
    const dir = path.join(tempDir('compose-secrets'), 'secrets');
    const run = () => execFileSync(path.join(REPO_ROOT, 'compose/generate-secrets.sh'), [dir], { encoding: 'utf8' });
    run();
    const mounted = Object.values({ ...composeFile(BASE).secrets, ...composeFile(DRILL).secrets }).map((s) => path.basename(s.file));
    expect(readdirSync(dir).sort()).toEqual([...new Set(mounted)].sort());
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const read = (name: string) => readFileSync(path.join(dir, name), 'utf8').trim();
    const first = Object.fromEntries(mounted.map((name) => [name, read(name)]));
    expect(parseSecrets(first['webhook-signing-secret']!)).toHaveLength(1);
    for (const name of ['publisher-api-token', 'admin-token'])
      expect(first[name]).toMatch(new RegExp(`^[A-Za-z0-9_-]{${MIN_TOKEN_LENGTH},}$`));
    expect(first['publisher-api-token']).not.toBe(first['admin-token']);
    run();
    expect(Object.fromEntries(mounted.map((name) => [name, read(name)]))).toEqual(first);
    expect(execFileSync('git', ['check-ignore', 'compose/secrets/admin-token'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim()).toBe(
      'compose/secrets/admin-token',
    );
  });

  it('gives every service that reaches NATS its own identity and the CA, from a volume no other service mounts', () => {
    type Service = ComposeConfig['services'][string] & { depends_on?: Record<string, { condition: string }> };
    const services = composeFile(BASE).services as Record<string, Service>;
    const identityOf = (service: Service) =>
      service.command?.includes('app/bus/provision-cli.ts') ? 'provisioner' : service.environment?.SERVICE;
    const reaching = Object.entries(services).filter(([, s]) => s.environment?.NATS_URL);
    // Every gateway, consumer and publisher, and the provisioning one-shots.
    const apps = Object.entries(services).filter(([, s]) => ['gateway', 'consumer', 'publisher'].includes(s.environment?.SERVICE ?? ''));
    expect(reaching.map(([name]) => name).sort()).toEqual(
      [...apps.map(([name]) => name), 'nats-provision', 'nats-provision-cluster'].sort(),
    );
    const problems: string[] = [];
    const mountedBy = new Map<string, Set<string>>();
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (/^nats-\w+-identity$/.test(source) && name !== 'nats-setup')
          mountedBy.set(source, (mountedBy.get(source) ?? new Set()).add(identityOf(service) ?? name));
      }
    }
    for (const [name, service] of reaching) {
      const identity = identityOf(service);
      const env = service.environment!;
      if (env.NATS_NKEY_SEED_FILE !== `/run/nats/${identity}.nk`)
        problems.push(`${name}: NATS_NKEY_SEED_FILE is ${env.NATS_NKEY_SEED_FILE}, expected /run/nats/${identity}.nk`);
      if (env.NATS_TLS_CA_FILE !== '/run/nats/ca.pem') problems.push(`${name}: NATS_TLS_CA_FILE is ${env.NATS_TLS_CA_FILE}`);
      if (!service.volumes?.includes(`nats-${identity}-identity:/run/nats:ro`))
        problems.push(`${name}: does not mount nats-${identity}-identity read-only at /run/nats`);
      // Started only once the stream and the durables exist (the gateway no longer creates them).
      if (
        identity !== 'provisioner' &&
        identity !== 'publisher' &&
        !Object.entries(service.depends_on ?? {}).some(
          ([dep, c]) => dep.startsWith('nats-provision') && c.condition === 'service_completed_successfully',
        )
      ) {
        problems.push(`${name}: does not wait for nats-provision to complete`);
      }
    }
    for (const [volume, identities] of mountedBy)
      if (identities.size !== 1) problems.push(`${volume} is mounted by ${[...identities].join(', ')}`);
    // The servers run the generated configuration (TLS, accounts) once nats-setup has written it.
    for (const name of ['nats', 'nats-1', 'nats-2', 'nats-3']) {
      const server = services[name]!;
      if (server.command?.join(' ') !== `-c /etc/nats/${name}.conf`)
        problems.push(`${name}: runs ${server.command?.join(' ')}, not its generated configuration`);
      if (!server.volumes?.includes('nats-server-config:/etc/nats:ro')) problems.push(`${name}: does not mount nats-server-config`);
      if (server.depends_on?.['nats-setup']?.condition !== 'service_completed_successfully')
        problems.push(`${name}: does not wait for nats-setup`);
    }
    expect(problems).toEqual([]);
  });

  it("nats-setup writes configurations nats-server accepts, and each identity's seed and the CA alone into its volume", () => {
    const out = tempDir('compose-nats-setup');
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'app/bus/compose-setup-cli.ts'), out], { cwd: REPO_ROOT, encoding: 'utf8' });
    for (const identity of ['gateway', 'publisher', 'consumer', 'provisioner']) {
      expect(readdirSync(path.join(out, identity)).sort()).toEqual(['ca.pem', `${identity}.nk`]);
      expect(statSync(path.join(out, identity, `${identity}.nk`)).mode & 0o777).toBe(0o400);
    }
    for (const name of ['nats', 'nats-1', 'nats-2', 'nats-3']) {
      // The container's paths, pointed at the generated files for this check.
      const conf = readFileSync(path.join(out, 'server', `${name}.conf`), 'utf8')
        .replaceAll('/etc/nats/', `${out}/server/`)
        .replaceAll('"/data"', JSON.stringify(path.join(out, 'data')));
      expect(conf).toContain(
        name === 'nats' ? 'listen: "0.0.0.0:4222"' : 'routes: ["nats://nats-1:6222", "nats://nats-2:6222", "nats://nats-3:6222"]',
      );
      const file = path.join(out, `${name}.check.conf`);
      writeFileSync(file, conf);
      // Exits non-zero (and so throws) on a bad key, certificate, nkey or permission.
      execFileSync('nats-server', ['-t', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    }
    const cert = new X509Certificate(readFileSync(path.join(out, 'server', 'server.pem')));
    for (const host of ['nats', 'nats-1', 'nats-2', 'nats-3', 'localhost']) expect(cert.checkHost(host), host).toBe(host);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('builds one multi-stage Node 24 image that runs as a non-root user, with a healthcheck', () => {
    const dockerfile = readFileSync(path.join(REPO_ROOT, 'compose/Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM node:24\S*/gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    const config = parse(readFileSync(path.join(REPO_ROOT, 'compose/docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { image?: string; healthcheck?: unknown; network_mode?: string }>;
    };
    for (const [name, service] of Object.entries(config.services)) {
      if (service.image === 'webhook-event-bus:local') expect(service.healthcheck, `${name} healthcheck`).toBeDefined();
    }
  });

  it('the image starts each service with the same node flags as npm run <service>', () => {
    const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const cmd = /exec (node [^;]*app\/\$SERVICE\/main\.ts);/.exec(readFileSync(path.join(REPO_ROOT, 'compose/Dockerfile'), 'utf8'))?.[1];
    for (const service of ['gateway', 'publisher', 'consumer']) expect(cmd?.replace('$SERVICE', service), service).toBe(scripts[service]);
  });

  it('the image needs only runtime dependencies: app/ imports nothing from devDependencies', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const sources = repoFiles().filter(
      (f) => (f.startsWith('app/') || f.startsWith('harness/alert-receiver/')) && f.endsWith('.ts') && !f.endsWith('.test.ts'),
    );
    const imported = new Set<string>();
    for (const file of sources) {
      for (const [, spec] of readFileSync(path.join(REPO_ROOT, file), 'utf8').matchAll(/from '([^'.][^']*)'/g)) {
        if (spec!.startsWith('node:')) continue;
        imported.add(spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!);
      }
    }
    expect([...imported].filter((p) => !(p in pkg.dependencies))).toEqual([]);
  });
});
