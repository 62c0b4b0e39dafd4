// Publishing an event to the JetStream stream and waiting for the PubAck, with the event id as
// msgID so JetStream drops a repeat within its duplicate window. Shared by the gateway (webhook
// path) and the publisher's direct NATS transport.
import { PubHeaders } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { subjectFor } from '../events/envelope.ts';
import type { BusConnection } from './connection.ts';
import type { JetStreamPublisher } from './jetstream-publisher.ts';

export const BUS_FAILURE_REASONS = ['disconnected', 'timeout', 'no_responders', 'api_error', 'unknown'] as const;
export type BusFailureReason = (typeof BUS_FAILURE_REASONS)[number];

export class BusPublishError extends Error {
  override name = 'BusPublishError';
  readonly reason: BusFailureReason;
  constructor(reason: BusFailureReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

export type EventMeta = { id: string; type: string; version: number };
export type PublishResult = { duplicate: boolean; sequence: number };

export async function publishEvent(
  bus: BusConnection,
  publisher: JetStreamPublisher,
  target: { stream: string; subjectPrefix: string },
  event: EventMeta,
  body: Uint8Array | string,
  extraHeaders: Record<string, string>,
): Promise<PublishResult> {
  // While disconnected the client would buffer and time out; failing at once lets the caller back off.
  if (!bus.isConnected()) throw new BusPublishError('disconnected', 'not connected to NATS');
  const h = natsHeaders();
  for (const [key, value] of Object.entries(extraHeaders)) h.set(key, value);
  h.set('event-type', event.type);
  h.set('event-version', String(event.version));
  h.set('content-type', 'application/json');
  // What js.publish sets for msgID and expect.streamName: the dedup key, and a refusal if another stream holds the subject.
  h.set(PubHeaders.MsgIdHdr, event.id);
  h.set(PubHeaders.ExpectedStreamHdr, target.stream);
  return await publisher.publish(subjectFor(target.subjectPrefix, event), body, h);
}
