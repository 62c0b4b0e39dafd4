// The JetStream stream that holds every accepted event: its configuration and its creation.
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';

export type EventStreamOptions = {
  name: string;
  subjectPrefix: string;
  /** Must exceed the publisher's whole retry span, so a retried webhook is still recognised as a duplicate. */
  duplicateWindowSeconds: number;
  replicas: number;
  maxAgeDays: number;
};

export function eventStreamConfig(options: EventStreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: options.name,
    subjects: [`${options.subjectPrefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    num_replicas: options.replicas,
    duplicate_window: nanos(options.duplicateWindowSeconds * 1000),
    max_age: nanos(options.maxAgeDays * 24 * 3600 * 1000),
  };
}

/** Creates the stream, or brings an existing one in line with the configuration. */
export async function ensureEventStream(nc: NatsConnection, options: EventStreamOptions): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config = eventStreamConfig(options);
  try {
    await jsm.streams.info(config.name);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
    await jsm.streams.add(config);
    return;
  }
  await jsm.streams.update(config.name, config);
}
