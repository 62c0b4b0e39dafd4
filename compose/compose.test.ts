// The compose stack, checked offline: the file is valid (docker-compose config), Prometheus,
// Alertmanager and Grafana mount the very files the local demo uses, no rule or dashboard exists
// twice, and the image runs as a non-root user on Node 24 with only runtime dependencies.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ruleFilePaths } from '../alerts/lint/load-rule-files.ts';
import { DEMO_CONFIG } from '../alertmanager/demo-config.ts';
import { DASHBOARD_FILES } from '../dashboards/catalog.ts';
import { REPO_ROOT } from '../harness/stack/service.ts';

type ComposeConfig = { services: Record<string, { volumes?: string[]; command?: string[]; image?: string; profiles?: string[] }> };

function composeConfig(profiles: string): ComposeConfig {
  const out = execFileSync('docker-compose', ['-f', 'compose/docker-compose.yml', 'config'], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, COMPOSE_PROFILES: profiles } });
  return parse(out) as ComposeConfig;
}

/** Host paths bind-mounted into a service, relative to the repository. */
const mounts = (config: ComposeConfig, service: string) =>
  (config.services[service]!.volumes ?? []).map((v) => v.split(':')[0]!).filter((p) => p.startsWith('/')).map((p) => path.relative(REPO_ROOT, p));

const repoFiles = () => execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim().split('\n');

describe('compose', () => {
  it.each(['single', 'cluster'])('docker-compose config accepts the %s profile', (profile) => {
    const config = composeConfig(profile);
    expect(Object.keys(config.services)).toEqual(expect.arrayContaining(['prometheus', 'alertmanager', 'grafana', 'k6', 'alert-receiver']));
  });

  it('defines the clustered topology: three NATS nodes, two gateways, a publisher that fails over', () => {
    const config = parse(readFileSync(path.join(REPO_ROOT, 'compose/docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { profiles?: string[]; environment?: Record<string, string> }> };
    const cluster = Object.entries(config.services).filter(([, s]) => s.profiles?.includes('cluster')).map(([name]) => name);
    expect(cluster).toEqual(expect.arrayContaining(['nats-1', 'nats-2', 'nats-3', 'gateway-1', 'gateway-2', 'publisher-cluster', 'consumer-cluster']));
    expect(config.services['gateway-1']!.environment!.NATS_STREAM_REPLICAS).toBe('3');
    expect(config.services['publisher-cluster']!.environment!.CSR_WEBHOOK_URL.split(',')).toHaveLength(2);
  });

  it('mounts the same rule, Alertmanager and dashboard files the local demo uses', () => {
    const config = composeConfig('single');
    expect(mounts(config, 'prometheus').filter((p) => p.endsWith('.rules.yml')).sort()).toEqual(ruleFilePaths().sort());
    expect(mounts(config, 'alertmanager')).toEqual([path.dirname(DEMO_CONFIG)]);
    expect(config.services.alertmanager!.command).toContain(`--config.file=/etc/alertmanager/${path.basename(DEMO_CONFIG)}`);
    expect(mounts(config, 'grafana').sort()).toEqual(['compose/grafana/provisioning', path.dirname(DASHBOARD_FILES[0].file)].sort());
    const provisioning = parse(readFileSync(path.join(REPO_ROOT, 'compose/grafana/provisioning/dashboards/event-bus.yml'), 'utf8'));
    const target = config.services.grafana!.volumes!.find((v) => v.includes('dashboards/generated'))!.split(':')[1];
    expect(provisioning.providers[0].options.path).toBe(target);
    expect(mounts(config, 'k6')).toEqual(['harness/k6']);
  });

  it('has no second copy of any rule file, Alertmanager configuration or dashboard', () => {
    const files = repoFiles();
    expect(files.filter((f) => f.endsWith('.rules.yml')).sort()).toEqual(ruleFilePaths().sort());
    const dashboards = files.filter((f) => f.endsWith('.json') && !f.includes('node_modules') && /"panels"\s*:/.test(readFileSync(path.join(REPO_ROOT, f), 'utf8')));
    expect(dashboards.sort()).toEqual(DASHBOARD_FILES.map((d) => d.file).sort());
    expect(files.filter((f) => /(^|\/)alertmanager[^/]*\.ya?ml$/.test(f)).sort()).toEqual(['alertmanager/alertmanager.demo.yml', 'alertmanager/alertmanager.yml']);
  });

  it('builds one multi-stage Node 24 image that runs as a non-root user, with a healthcheck', () => {
    const dockerfile = readFileSync(path.join(REPO_ROOT, 'compose/Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM node:24\S*/gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    const config = parse(readFileSync(path.join(REPO_ROOT, 'compose/docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { image?: string; healthcheck?: unknown; network_mode?: string }> };
    for (const [name, service] of Object.entries(config.services)) {
      if (service.image === 'webhook-event-bus:local') expect(service.healthcheck, `${name} healthcheck`).toBeDefined();
    }
  });

  it('the image needs only runtime dependencies: app/ imports nothing from devDependencies', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const sources = repoFiles().filter((f) => (f.startsWith('app/') || f.startsWith('harness/alert-receiver/')) && f.endsWith('.ts') && !f.endsWith('.test.ts'));
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
