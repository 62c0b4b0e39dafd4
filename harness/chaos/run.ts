// One chaos run: the stack under open-model load while a nemesis injects faults, then a drain, then
// the checker. Every event is recorded as invoked and completed (ok, fail or unknown). With
// `store: 'postgres'` the publishers (one or several) share a PostgreSQL outbox, and the load is spread
// over them as a load balancer would.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { CONSUMER_NAMES } from '../../app/consumer/handlers/index.ts';
import type { TransportMode } from '../../app/publisher/transport.ts';
import { percentile } from '../../app/telemetry/percentile.ts';
import { buddyEvent } from '../load/event-factory.ts';
import { runOpenModel } from '../load/open-model.ts';
import { createEvent } from '../load/publisher-client.ts';
import { freePort } from '../stack/ports.ts';
import { randomToken } from '../stack/token-file.ts';
import type { Service } from '../stack/service.ts';
import { nothingInFlight, startStack, type PublisherStore, type Stack } from '../stack/stack.ts';
import { sleep, waitFor } from '../stack/wait.ts';
import { check, type CheckResult, type Invocation } from './checker.ts';
import { startFaultProxy, type FaultProxy, type ProxyMode } from './fault-proxy.ts';
import { consumerDeliveries, deadLetteredIds, deadLetteredIdsPostgres, streamEventIds } from './observe.ts';
import { EVENT_BUS_LAYOUT } from '../../app/bus/layout.ts';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../../app/gateway/config.ts';

export const DESIGNS = ['ours', 'phase1-naive'] as const;
export const STORES = ['sqlite', 'postgres'] as const satisfies readonly PublisherStore[];
export const FAULTS = ['gateway', 'publisher', 'gateway+publisher', 'nats-node', 'publisher+nats-node', 'partition', 'none'] as const;
export type Design = (typeof DESIGNS)[number];
export type Fault = (typeof FAULTS)[number];

export type ChaosOptions = {
  dir: string;
  design: Design;
  fault: Fault;
  /** The publisher's transport mode (the Phase 2 migration): webhook (default), dual or nats. */
  transportMode?: TransportMode;
  /** The publishers' outbox: sqlite (default; one publisher) or postgres (shared by all of them). */
  store?: PublisherStore;
  /** Publisher instances (default 1); the load goes round robin over them, the publisher faults take them in turn. */
  publishers?: number;
  events: number;
  rate: number;
  faultIntervalMs: number;
  downtimeMs: number;
  drainTimeoutMs: number;
  log?: (line: string) => void;
};

export type FaultMoment = { at: number; label: string };
export type ChaosRun = {
  options: Omit<ChaosOptions, 'log' | 'dir'> & { store: PublisherStore; publishers: number };
  startedAt: number;
  endedAt: number;
  history: Invocation[];
  faults: FaultMoment[];
  result: CheckResult;
  timeline: { second: number; acknowledged: number; delivered: number; p95LatencyMs: number | null }[];
};

/**
 * The design under test, as environment. phase1-naive is the Phase 1 design as first written:
 * retries in memory only (no durable outbox), 202 before the durable publish, no consumer dedup.
 */
function designEnv(design: Design): Record<'publisher' | 'gateway' | 'consumer', Record<string, string>> {
  if (design === 'ours') return { publisher: {}, gateway: {}, consumer: {} };
  return {
    publisher: { PUBLISHER_OUTBOX_PATH: ':memory:' },
    gateway: { GATEWAY_ACK_MODE: 'before-publish' },
    consumer: { CONSUMER_DEDUP: 'false' },
  };
}

function outcomeOf(result: Awaited<ReturnType<typeof createEvent>>): Invocation['outcome'] {
  if (result.ok) return 'ok';
  // A refused connection or a 4xx is a definite no; a timeout, a reset or a 5xx leaves it unknown.
  return result.errorKind === 'refused' || result.errorKind === 'http_4xx' ? 'fail' : 'info';
}

/**
 * One create-event call through a load balancer in front of the publishers: round robin, and a call
 * refused by one instance (it is down; the request never reached it) goes once to the next one.
 * The caller sees only the final outcome.
 */
async function createBalanced(
  publishers: readonly Service[],
  i: number,
  event: ReturnType<typeof buddyEvent>,
): Promise<Awaited<ReturnType<typeof createEvent>>> {
  const first = i % publishers.length;
  const result = await createEvent(publishers[first]!, event, 10_000);
  if (result.ok || result.errorKind !== 'refused' || publishers.length < 2) return result;
  return createEvent(publishers[(first + 1) % publishers.length]!, event, 10_000);
}

export async function runChaos(options: ChaosOptions): Promise<ChaosRun> {
  const log = options.log ?? (() => undefined);
  mkdirSync(options.dir, { recursive: true });
  const env = designEnv(options.design);
  const store = options.store ?? 'sqlite';
  const publisherCount = options.publishers ?? 1;
  // The naive design's outbox is in memory: there is nothing for PostgreSQL to hold, or to share.
  if (options.design === 'phase1-naive' && (store !== 'sqlite' || publisherCount > 1))
    throw new Error('design phase1-naive runs with one publisher and no durable outbox: use store sqlite and publishers 1');
  const topology = options.fault === 'nats-node' || options.fault === 'publisher+nats-node' ? 'cluster' : 'single';
  const publisherEnv = { ...env.publisher, PUBLISHER_TRANSPORT: options.transportMode ?? 'webhook' };
  let proxy: FaultProxy | undefined;
  const gatewayPort = await freePort();
  if (options.fault === 'partition') proxy = await startFaultProxy({ targetPort: gatewayPort });
  const stack: Stack = await startStack({
    dir: path.join(options.dir, 'stack'),
    topology,
    store,
    publishers: publisherCount,
    gatewayPorts: topology === 'single' ? [gatewayPort] : undefined,
    gatewayEnv: env.gateway,
    consumerEnv: env.consumer,
    publisherEnv: proxy ? { ...publisherEnv, CSR_WEBHOOK_URL: `${proxy.url}${DEFAULT_WEBHOOK_ENDPOINT}` } : publisherEnv,
    // As in production (compose): the event API takes the application's token; the load sends it.
    publisherApiToken: randomToken(),
  });
  log(
    `stack up (${topology}, design ${options.design}, transport mode ${options.transportMode ?? 'webhook'}, store ${store}, ${publisherCount} publisher(s)); ${options.events} events at ${options.rate}/s, fault: ${options.fault}`,
  );

  const history: Invocation[] = [];
  const faults: FaultMoment[] = [];
  const startedAt = Date.now();
  const load = runOpenModel({
    stages: [{ ratePerSecond: options.rate, durationMs: (options.events / options.rate) * 1000 }],
    maxInFlight: 1000,
    iteration: async (i) => {
      const event = buddyEvent(i);
      const invokedAt = Date.now();
      const result = await createBalanced(stack.publishers, i, event);
      history.push({ id: event.id, invokedAt, completedAt: Date.now(), outcome: outcomeOf(result) });
      return result;
    },
  });

  let loadDone = false;
  void load.finally(() => (loadDone = true));
  const partitionModes: ProxyMode[] = [{ kind: 'reset' }, { kind: 'drop' }, { kind: 'latency', ms: 2000 }];
  let round = 0;
  const nemesis = (async () => {
    if (options.fault === 'none') return;
    while (!loadDone) {
      await sleep(options.faultIntervalMs);
      if (loadDone) break;
      const at = Date.now();
      switch (options.fault) {
        case 'gateway': {
          const gateway = stack.gateways[round % stack.gateways.length]!;
          faults.push({ at, label: `SIGKILL ${gateway.name}` });
          await gateway.kill();
          await sleep(options.downtimeMs);
          await gateway.start();
          break;
        }
        case 'publisher': {
          const publisher = stack.publishers[round % stack.publishers.length]!;
          faults.push({ at, label: `SIGKILL ${publisher.name}` });
          await publisher.kill();
          await sleep(options.downtimeMs);
          await publisher.start();
          break;
        }
        case 'gateway+publisher': {
          // The design's own risk: the gateway is down, events wait in the publisher, and then the
          // publisher restarts (a deploy, a crash) before they could be delivered. With several
          // publishers on one outbox, the killed one's claimed rows are released when it restarts.
          const publisher = stack.publishers[round % stack.publishers.length]!;
          faults.push({ at, label: `SIGKILL gateway, then ${publisher.name}` });
          await stack.gateway.kill();
          await sleep(options.downtimeMs / 2);
          await publisher.kill();
          await sleep(options.downtimeMs / 2);
          await stack.gateway.start();
          await publisher.start();
          break;
        }
        case 'nats-node': {
          const node = stack.natsNodes[round % stack.natsNodes.length]!;
          faults.push({ at, label: `SIGKILL ${node.name}` });
          await node.kill();
          await sleep(options.downtimeMs);
          await node.start();
          break;
        }
        case 'publisher+nats-node': {
          const node = stack.natsNodes[round % stack.natsNodes.length]!;
          const publisher = stack.publishers[round % stack.publishers.length]!;
          faults.push({ at, label: `SIGKILL ${publisher.name} and ${node.name}` });
          await Promise.all([publisher.kill(), node.kill()]);
          await sleep(options.downtimeMs);
          await node.start();
          await publisher.start();
          break;
        }
        case 'partition': {
          const mode = partitionModes[round % partitionModes.length]!;
          faults.push({ at, label: `partition: ${mode.kind}` });
          proxy!.setMode(mode);
          await sleep(options.downtimeMs);
          proxy!.setMode({ kind: 'pass' });
          break;
        }
      }
      log(`${faults.at(-1)!.label} at +${((at - startedAt) / 1000).toFixed(1)} s`);
      round++;
    }
  })();
  await load;
  await nemesis;
  log(`load done: ${history.length} invoked, ${history.filter((h) => h.outcome === 'ok').length} acknowledged; draining`);

  // Heal everything, then wait until the outbox is empty and deliveries have stopped changing.
  proxy?.setMode({ kind: 'pass' });
  for (const node of stack.natsNodes) if (!node.isRunning()) await node.start();
  for (const service of [...stack.gateways, stack.consumer, ...stack.publishers]) if (!service.isRunning()) await service.start();
  let last = -1;
  let stableSince = Date.now();
  await waitFor(
    'the system to drain',
    async () => {
      const count = consumerDeliveries(stack.consumerDbPath).length;
      if (count !== last) [last, stableSince] = [count, Date.now()];
      // Drained: nothing in flight, and deliveries have stopped changing.
      return (await nothingInFlight(stack)) && Date.now() - stableSince > 6000;
    },
    { timeoutMs: options.drainTimeoutMs, intervalMs: 500 },
  ).catch((err: Error) => log(`drain incomplete: ${err.message}`));
  const endedAt = Date.now();

  const deliveries = consumerDeliveries(stack.consumerDbPath);
  const result = check(history, {
    consumers: CONSUMER_NAMES,
    deliveries,
    accepted: await streamEventIds(
      stack.natsNodes.filter((n) => n.isRunning()).map((n) => n.url),
      EVENT_BUS_LAYOUT.stream,
      stack.natsCredentials,
    ),
    deadLettered: stack.postgres
      ? await deadLetteredIdsPostgres(stack.postgres.url)
      : deadLetteredIds(options.design === 'ours' ? stack.outboxPath : undefined),
  });
  await stack.stop();
  await proxy?.close();

  const invoked = new Map(history.map((h) => [h.id, h.invokedAt]));
  const seconds = Math.ceil((endedAt - startedAt) / 1000);
  const timeline = Array.from({ length: seconds }, (_, second) => ({ second, acknowledged: 0, delivered: 0, latencies: [] as number[] }));
  for (const h of history) if (h.outcome === 'ok') timeline[Math.floor((h.completedAt - startedAt) / 1000)]!.acknowledged++;
  for (const d of deliveries) {
    if (d.consumer !== CONSUMER_NAMES[0]) continue;
    const slot = timeline[Math.floor((d.at - startedAt) / 1000)];
    if (!slot) continue;
    slot.delivered++;
    if (invoked.has(d.id)) slot.latencies.push(d.at - invoked.get(d.id)!);
  }
  const { log: _log, dir: _dir, ...recorded } = options;
  return {
    options: { ...recorded, store, publishers: publisherCount },
    startedAt,
    endedAt,
    history,
    faults,
    result,
    timeline: timeline.map((t) => ({
      second: t.second,
      acknowledged: t.acknowledged,
      delivered: t.delivered,
      p95LatencyMs: t.latencies.length ? percentile(t.latencies, 95) : null,
    })),
  };
}
