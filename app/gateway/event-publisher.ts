// Publishes accepted events to JetStream and waits for the PubAck: the gateway's 202 depends on it.
import { jetstream, jetstreamManager, JetStreamApiError } from '@nats-io/jetstream';
import { errors, headers as natsHeaders } from '@nats-io/transport-node';
import type { BusConnection } from '../bus/connection.ts';
import { subjectFor, type EventEnvelope } from '../events/envelope.ts';

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

export type PublishResult = { duplicate: boolean; sequence: number };

export type EventPublisher = {
  publish(event: EventEnvelope, body: Uint8Array, traceHeaders: Record<string, string>): Promise<PublishResult>;
  /** For /health/all: the connection is up and the stream answers. */
  streamHealth(): Promise<{ ok: boolean; detail: string; messages?: number }>;
};

export function classifyBusError(err: unknown): BusFailureReason {
  if (err instanceof errors.TimeoutError) return 'timeout';
  // JetStreamNotEnabled (no responder on the stream subject) is not exported, so match its name.
  if (err instanceof Error && err.name === 'JetStreamNotEnabled') return 'no_responders';
  if (err instanceof errors.RequestError && err.isNoResponders()) return 'no_responders';
  if (err instanceof errors.ClosedConnectionError || err instanceof errors.DrainingConnectionError) return 'disconnected';
  if (err instanceof JetStreamApiError) return 'api_error';
  return 'unknown';
}

export function createEventPublisher(
  bus: BusConnection,
  options: { stream: string; subjectPrefix: string; timeoutMs: number },
): EventPublisher {
  const js = jetstream(bus.nc, { timeout: options.timeoutMs });
  return {
    async publish(event, body, traceHeaders) {
      // While disconnected the client would buffer and time out; answering 503 at once lets the
      // publisher back off instead of holding a connection open for the whole timeout.
      if (!bus.isConnected()) throw new BusPublishError('disconnected', 'not connected to NATS');
      const h = natsHeaders();
      for (const [key, value] of Object.entries(traceHeaders)) h.set(key, value);
      h.set('event-type', event.type);
      h.set('event-version', String(event.version));
      h.set('content-type', 'application/json');
      try {
        const ack = await js.publish(subjectFor(options.subjectPrefix, event), body, {
          msgID: event.id,
          headers: h,
          expect: { streamName: options.stream },
        });
        return { duplicate: ack.duplicate, sequence: ack.seq };
      } catch (err) {
        throw new BusPublishError(classifyBusError(err), (err as Error).message, { cause: err });
      }
    },
    async streamHealth() {
      if (!bus.isConnected()) return { ok: false, detail: 'not connected to NATS' };
      try {
        const jsm = await jetstreamManager(bus.nc, { timeout: 1000 });
        const info = await jsm.streams.info(options.stream);
        return { ok: true, detail: `stream ${options.stream} reachable`, messages: info.state.messages };
      } catch (err) {
        return { ok: false, detail: `stream ${options.stream} unreachable: ${(err as Error).message}` };
      }
    },
  };
}
