// The clustered topology: three NATS nodes (stream at three replicas) and two gateway replicas.
// With one NATS node and one gateway down, the stack keeps accepting and delivering everything.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buddyEvent } from '../load/event-factory.ts';
import { runOpenModel } from '../load/open-model.ts';
import { createEvent } from '../load/publisher-client.ts';
import { startStack, type Stack } from '../stack/stack.ts';
import { newSecret, summarize, tempDir, waitForAllDelivered, writeArtifact } from './support.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ dir: tempDir('cluster'), topology: 'cluster', signingSecret: newSecret() });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('clustered topology', () => {
  it('runs three NATS nodes and two gateways, with the stream at three replicas', async () => {
    expect(stack.natsNodes).toHaveLength(3);
    expect(stack.gateways).toHaveLength(2);
    const nc = await connect({ servers: stack.natsNodes.map((n) => n.url) });
    try {
      const info = await (await jetstreamManager(nc)).streams.info('BUDDY_EVENTS');
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas?.length).toBe(2);
    } finally {
      await nc.close();
    }
  });

  it('keeps accepting and delivering with one NATS node and one gateway replica down', async () => {
    const acknowledged = new Set<string>();
    const attempted = new Set<string>();
    const duringOutage = new Set<string>();
    let down = false;
    const send = (count: number, rate: number) =>
      runOpenModel({
        stages: [{ ratePerSecond: rate, durationMs: (count / rate) * 1000 }],
        maxInFlight: 200,
        iteration: async (i) => {
          const result = await createEvent(stack.publisher.url, buddyEvent(i));
          attempted.add(result.id);
          if (result.ok) {
            acknowledged.add(result.id);
            if (down) duringOutage.add(result.id);
          }
          return result;
        },
      });
    await send(100, 25);
    // The first gateway is the publisher's preferred one; the second NATS node holds a replica.
    await Promise.all([stack.gateways[0]!.kill(), stack.natsNodes[1]!.kill()]);
    down = true;
    await send(300, 25);
    // Still down: everything so far must arrive through the surviving gateway and NATS nodes.
    const counts = await waitForAllDelivered(stack.consumerDbPath, acknowledged, 90_000, attempted);
    for (const c of counts) expect(c).toMatchObject({ lost: [], duplicated: [], unexpected: [] });
    expect(duringOutage.size).toBe(300);
    expect(stack.gateways[0]!.isRunning()).toBe(false);
    expect(stack.natsNodes[1]!.isRunning()).toBe(false);
    const result = { sent: attempted.size, acknowledged: acknowledged.size, acceptedDuringOutage: duringOutage.size, ...summarize(counts) };
    writeArtifact('cluster-outage.json', result);
    console.log('cluster with one NATS node and one gateway down', result);
    await Promise.all([stack.natsNodes[1]!.start(), stack.gateways[0]!.start()]);
  }, 180_000);
});
