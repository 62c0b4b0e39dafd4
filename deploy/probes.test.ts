// The probes in the manifests ask real endpoints: the three services are started (real nats-server,
// provisioned stream) and every probe path of every container is requested, expecting 200. The
// gateway runs with a metrics port of its own, as its container does, and each ServiceMonitor's
// path is scraped on the port it names.
import { rmSync } from 'node:fs';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../harness/integration/support.ts';
import { freePort } from '../harness/stack/ports.ts';
import { type Stack, startStack } from '../harness/stack/stack.ts';
import { deployObjects, loadDeployInputs } from './src/render.ts';
import { SERVICES, type ServiceId } from './src/topology.ts';

type WithPod = { kind?: string; metadata?: { name?: string }; spec?: { template?: { spec?: { containers: IContainer[] } } } };

const objects = () => Object.values(deployObjects(loadDeployInputs())).flat() as unknown as WithPod[];

/** kind, name → the container the manifest runs, as generated. */
function containerOf(id: ServiceId): IContainer {
  const workload = objects().find((o) => o.metadata?.name === SERVICES[id].job && o.spec?.template);
  if (!workload) throw new Error(`no workload for ${id}`);
  return workload.spec!.template!.spec!.containers[0]!;
}

/** The port name and path the service's ServiceMonitor scrapes. */
function scrapeEndpointOf(id: ServiceId): { port: string; path: string } {
  const monitor = objects().find((o) => o.kind === 'ServiceMonitor' && o.metadata?.name === SERVICES[id].job) as
    | { spec: { endpoints: { port: string; path: string }[] } }
    | undefined;
  if (!monitor) throw new Error(`no ServiceMonitor for ${id}`);
  return monitor.spec.endpoints[0]!;
}

describe('every probe in deploy/ answers 200 on the running service', () => {
  let dir: string;
  let stack: Stack;
  /** Where the gateway serves /metrics: the container's metrics port, here a free one. */
  let gatewayMetricsUrl: string;

  beforeAll(async () => {
    dir = tempDir('deploy-probes');
    const metrics = SERVICES.gateway.metrics!;
    const metricsPort = await freePort();
    gatewayMetricsUrl = `http://127.0.0.1:${metricsPort}`;
    // As the container sets it (deploy.test.ts checks that against the parsed config), on a free port.
    expect(containerOf('gateway').env?.find((v) => v.name === metrics.portVariable)?.value).toBe(String(metrics.port));
    stack = await startStack({ dir, gatewayEnv: { [metrics.portVariable]: String(metricsPort) } });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['gateway', 'publisher', 'consumer'] as const)('%s', async (id) => {
    const container = containerOf(id);
    const service = { gateway: stack.gateway, publisher: stack.publisher, consumer: stack.consumer }[id];
    const probes = { startup: container.startupProbe, liveness: container.livenessProbe, readiness: container.readinessProbe };
    const answers: Record<string, number> = {};
    for (const [kind, probe] of Object.entries(probes)) {
      expect(probe?.httpGet, `${id} ${kind}`).toBeDefined();
      // The probe's named port is the container port the service listens on (deploy.test.ts checks
      // that against its parsed config); here the service runs on a free port instead.
      expect(container.ports?.find((p) => p.name === probe!.httpGet!.port)?.containerPort).toBe(SERVICES[id].port);
      const response = await fetch(`${service.url}${probe!.httpGet!.path}`);
      answers[`${kind} ${probe!.httpGet!.path}`] = response.status;
    }
    expect(answers).toEqual(Object.fromEntries(Object.entries(probes).map(([kind, p]) => [`${kind} ${p!.httpGet!.path}`, 200])));
  });

  it.each(['gateway', 'publisher', 'consumer'] as const)(
    "%s: its ServiceMonitor's path serves its metrics on the port it names",
    async (id) => {
      const { port, path } = scrapeEndpointOf(id);
      const containerPort = containerOf(id).ports?.find((p) => p.name === port)?.containerPort;
      const url = {
        http: { gateway: stack.gateway.url, publisher: stack.publisher.url, consumer: stack.consumer.url }[id],
        metrics: gatewayMetricsUrl,
      }[port];
      expect(url, `${id}: port ${port}`).toBeDefined();
      expect(containerPort).toBe(port === 'metrics' ? SERVICES[id].metrics?.port : SERVICES[id].port);
      const response = await fetch(`${url}${path}`);
      expect(response.status).toBe(200);
      // The service's own exposition: its resource names it (the stack starts each under its id).
      expect(await response.text()).toContain(`service_name="${id}"`);
    },
  );

  it('a path a service does not serve answers 404, so the checks above can fail; the webhook port serves no /metrics', async () => {
    expect((await fetch(`${stack.consumer.url}/health/all`)).status).toBe(404);
    expect((await fetch(`${stack.gateway.url}/metrics`)).status).toBe(404);
  });
});
