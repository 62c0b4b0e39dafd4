// The probes in the manifests ask real endpoints: the three services are started (real nats-server,
// provisioned stream) and every probe path of every container is requested, expecting 200.
import { rmSync } from 'node:fs';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../harness/integration/support.ts';
import { type Stack, startStack } from '../harness/stack/stack.ts';
import { deployObjects, loadDeployInputs } from './src/render.ts';
import { SERVICES, type ServiceId } from './src/topology.ts';

type WithPod = { kind?: string; metadata?: { name?: string }; spec?: { template?: { spec?: { containers: IContainer[] } } } };

/** kind, name → the container the manifest runs, as generated. */
function containerOf(id: ServiceId): IContainer {
  const objects = Object.values(deployObjects(loadDeployInputs())).flat() as unknown as WithPod[];
  const workload = objects.find((o) => o.metadata?.name === SERVICES[id].job && o.spec?.template);
  if (!workload) throw new Error(`no workload for ${id}`);
  return workload.spec!.template!.spec!.containers[0]!;
}

describe('every probe in deploy/ answers 200 on the running service', () => {
  let dir: string;
  let stack: Stack;

  beforeAll(async () => {
    dir = tempDir('deploy-probes');
    stack = await startStack({ dir });
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

  it('a path a service does not serve answers 404, so the check above can fail', async () => {
    expect((await fetch(`${stack.consumer.url}/health/all`)).status).toBe(404);
  });
});
