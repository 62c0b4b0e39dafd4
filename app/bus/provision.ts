// The explicit provisioning step: creates the event stream and the three durable consumers, or
// brings existing ones in line with the configuration. Only the provisioner identity may do this;
// the services at runtime can check what exists but not change it.
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { durableConsumerConfig, type DurableOptions } from '../consumer/durable-consumers.ts';
import { eventStreamConfig, type EventStreamOptions } from './event-stream.ts';

export type ProvisionPlan = { stream: EventStreamOptions; durables: readonly string[]; durable: DurableOptions };
export type ProvisionOutcome = { stream: 'created' | 'updated'; durables: Record<string, 'created' | 'updated'> };

const notFound = (err: unknown, code: number) => err instanceof JetStreamApiError && err.code === code;

export async function provisionEventBus(nc: NatsConnection, plan: ProvisionPlan, timeoutMs = 10_000): Promise<ProvisionOutcome> {
  const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
  const stream = await ensureStream(jsm, eventStreamConfig(plan.stream));
  const durables: Record<string, 'created' | 'updated'> = {};
  for (const name of plan.durables) durables[name] = await ensureDurable(jsm, plan.stream.name, durableConsumerConfig(name, plan.durable));
  return { stream, durables };
}

async function ensureStream(jsm: JetStreamManager, config: ReturnType<typeof eventStreamConfig>): Promise<'created' | 'updated'> {
  try {
    await jsm.streams.info(config.name);
  } catch (err) {
    if (!notFound(err, JetStreamApiCodes.StreamNotFound)) throw err;
    await jsm.streams.add(config);
    return 'created';
  }
  await jsm.streams.update(config.name, config);
  return 'updated';
}

async function ensureDurable(
  jsm: JetStreamManager,
  stream: string,
  config: ReturnType<typeof durableConsumerConfig>,
): Promise<'created' | 'updated'> {
  try {
    await jsm.consumers.info(stream, config.durable_name);
  } catch (err) {
    if (!notFound(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
    await jsm.consumers.add(stream, config);
    return 'created';
  }
  // Only these may change on a live durable; the filter and deliver policy are fixed at creation.
  await jsm.consumers.update(stream, config.durable_name, {
    ack_wait: config.ack_wait,
    max_deliver: config.max_deliver,
    max_ack_pending: config.max_ack_pending,
  });
  return 'updated';
}
