// Configuration of the provisioning step (npm run nats:provision): the connection as the
// provisioner identity, the stream's shape and retention, and the durables' delivery settings.
import { z } from 'zod';
import { CONSUMER_NAMES } from '../consumer/handlers/index.ts';
import { env, parseEnv } from '../config/env.ts';
import {
  natsClientEnv,
  natsClientSettings,
  natsRetentionEnv,
  natsStreamEnv,
  natsStreamSettings,
  type NatsClientSettings,
} from '../config/nats-settings.ts';
import type { ProvisionPlan } from './provision.ts';

// Exported for docs/configuration.test.ts, which holds the guide and .env.example to these keys.
export const schema = z.object({
  ...natsClientEnv,
  ...natsStreamEnv,
  ...natsRetentionEnv,
  // After this many failed deliveries the consumer parks an event in consumer_dead_letter rather
  // than retrying forever; the consumer reads it back from its durable.
  CONSUMER_MAX_DELIVER: env.positiveInt(10),
  // Long enough for a slow handler; short enough that a crashed consumer's messages come back quickly.
  CONSUMER_ACK_WAIT_MS: env.positiveInt(30_000),
  // A cluster that is still electing its JetStream leader cannot create a stream yet.
  NATS_PROVISION_TIMEOUT_MS: env.positiveInt(60_000),
});

export type ProvisionConfig = { nats: NatsClientSettings; plan: ProvisionPlan; timeoutMs: number };

export function parseProvisionConfig(source: Record<string, string | undefined>): ProvisionConfig {
  const e = parseEnv(schema, source);
  const nats = natsClientSettings(e);
  return {
    nats,
    plan: {
      stream: {
        name: nats.stream,
        subjectPrefix: nats.subjectPrefix,
        ...natsStreamSettings(e),
        maxAgeDays: e.NATS_STREAM_MAX_AGE_DAYS,
        maxBytes: e.NATS_STREAM_MAX_BYTES,
      },
      durables: CONSUMER_NAMES,
      durable: { subjectPrefix: nats.subjectPrefix, ackWaitMs: e.CONSUMER_ACK_WAIT_MS, maxDeliver: e.CONSUMER_MAX_DELIVER },
    },
    timeoutMs: e.NATS_PROVISION_TIMEOUT_MS,
  };
}
