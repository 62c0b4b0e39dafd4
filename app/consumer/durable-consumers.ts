// Durable JetStream consumers, one per handler: each sees every event, acks explicitly, and resumes
// from where it stopped after any restart. The provisioning step creates them (durableConsumerConfig);
// the consumer process only reads and consumes them.
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { sameTurnBatches } from '../batching/same-turn-batches.ts';
import type { Logger } from '../telemetry/logger.ts';

export type DurableOptions = { subjectPrefix: string; ackWaitMs: number; maxDeliver: number };

export function durableConsumerConfig(name: string, options: DurableOptions): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: `${options.subjectPrefix}.>`,
    ack_wait: nanos(options.ackWaitMs),
    // One more than the handler's own limit, so the handler parks the message itself on its last try.
    max_deliver: options.maxDeliver + 1,
    max_ack_pending: 1000,
  };
}

/** The handler's attempt limit, read back from the provisioned durable: one below its max_deliver. */
export function handlerMaxDeliver(info: Pick<ConsumerInfo, 'config'>): number {
  const serverLimit = info.config.max_deliver ?? -1;
  // -1 (unlimited) was never provisioned by us; park after the default ten tries rather than never.
  return serverLimit > 1 ? serverLimit - 1 : 10;
}

export class DurableMissingError extends Error {
  override name = 'DurableMissingError';
}

/** The durable's configuration; DurableMissingError when it (or the stream) was not provisioned. */
export async function durableConsumerInfo(nc: NatsConnection, stream: string, name: string): Promise<ConsumerInfo> {
  // checkAPI false: the account-info call it would make first is not among the consumer's permissions.
  const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: 5000 });
  try {
    return await jsm.consumers.info(stream, name);
  } catch (err) {
    if (
      err instanceof JetStreamApiError &&
      (err.code === JetStreamApiCodes.ConsumerNotFound || err.code === JetStreamApiCodes.StreamNotFound)
    ) {
      throw new DurableMissingError(`durable consumer ${name} on stream ${stream} does not exist: run npm run nats:provision`);
    }
    throw err;
  }
}

export async function pendingCount(nc: NatsConnection, stream: string, name: string): Promise<number> {
  const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: 2000 });
  const info = await jsm.consumers.info(stream, name);
  return info.num_pending + info.num_ack_pending;
}

/**
 * Consumes until stopped, restarting the iterator if it ends. Messages that arrive together are
 * handed over as one batch (one inbox commit), and batches are processed one after another: what
 * arrives while a batch is processed forms the next.
 */
export function runConsumer(
  nc: NatsConnection,
  stream: string,
  name: string,
  onBatch: (msgs: JsMsg[]) => Promise<unknown>,
  logger: Logger,
) {
  let stopped = false;
  let current: ConsumerMessages | undefined;
  // One at a time: a batch is processed only after the previous one, so the consumer keeps its order.
  const batches = sameTurnBatches(
    async (batch: JsMsg[]) => {
      try {
        await onBatch(batch);
      } catch (err) {
        // Not acknowledged: JetStream redelivers the batch after ack_wait.
        logger.error({ consumer: name, err }, 'batch processing failed');
      }
      return batch.map(() => undefined);
    },
    { order: 'one-at-a-time' },
  );
  const done = (async () => {
    const js = jetstream(nc);
    while (!stopped) {
      try {
        const consumer = await js.consumers.get(stream, name);
        // Short pulls: after a NATS node dies, a pull parked on it is abandoned within seconds (two
        // missed heartbeats) instead of the default 30 s expiry, so a failover stalls delivery briefly.
        current = await consumer.consume({ max_messages: 100, expires: 5000 });
        for await (const msg of current) {
          // Messages already buffered arrive in the same turn of the event loop and join one batch.
          void batches.add(msg);
          if (stopped) break;
        }
      } catch (err) {
        if (stopped) break;
        logger.warn({ consumer: name, err }, 'consume loop failed, restarting');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();
  return {
    async stop(): Promise<void> {
      stopped = true;
      await current?.close();
      await done;
      await batches.drain();
    },
  };
}
