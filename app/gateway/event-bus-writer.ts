// The gateway's bus writer: writes accepted events to JetStream and waits for the PubAck, on which the
// gateway's 202 depends. (Not to be confused with the publisher, the upstream service that sends webhooks.)
import { jetstreamManager } from '@nats-io/jetstream';
import type { BusConnection } from '../bus/connection.ts';
import { verifyEventStream, type StreamExpectation } from '../bus/event-stream.ts';
import { jetStreamPublisher } from '../bus/jetstream-publisher.ts';
import { publishEvent, type PublishResult } from '../bus/publish-event.ts';
import type { EventEnvelope } from '../events/envelope.ts';
import { oneWritePerLoopTurn } from '../bus/one-write-per-loop-turn.ts';

export type EventBusWriter = {
  publish(event: EventEnvelope, body: Uint8Array, traceHeaders: Record<string, string>): Promise<PublishResult>;
  /** For /health/all: the connection is up and the stream answers, configured as expected. */
  streamHealth(): Promise<{ ok: boolean; detail: string; messages?: number }>;
};

/** `expect`: what the stream must provide (main.ts passes it); without it, health only asks that the stream answers. */
export function createEventBusWriter(
  bus: BusConnection,
  options: {
    stream: string;
    subjectPrefix: string;
    timeoutMs: number;
    expect?: Pick<StreamExpectation, 'duplicateWindowSeconds' | 'replicas'>;
  },
): EventBusWriter {
  const publisher = jetStreamPublisher(bus.nc, { timeoutMs: options.timeoutMs });
  const target = { stream: options.stream, subjectPrefix: options.subjectPrefix };
  const batched = oneWritePerLoopTurn();
  return {
    // event-path says which way the event came, for whoever reads the stream during a migration.
    publish: (event, body, traceHeaders) =>
      batched(() => publishEvent(bus, publisher, target, event, body, { ...traceHeaders, 'event-path': 'webhook' })),
    async streamHealth() {
      if (!bus.isConnected()) return { ok: false, detail: 'not connected to NATS' };
      try {
        const info = options.expect
          ? await verifyEventStream(bus.nc, { name: options.stream, subjectPrefix: options.subjectPrefix, ...options.expect }, 1000)
          : await (await jetstreamManager(bus.nc, { checkAPI: false, timeout: 1000 })).streams.info(options.stream);
        return { ok: true, detail: `stream ${options.stream} reachable`, messages: info.state.messages };
      } catch (err) {
        return { ok: false, detail: `stream ${options.stream} unusable: ${(err as Error).message}` };
      }
    },
  };
}
