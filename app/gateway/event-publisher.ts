// Publishes accepted events to JetStream and waits for the PubAck: the gateway's 202 depends on it.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { BusConnection } from '../bus/connection.ts';
import { publishEvent, type PublishResult } from '../bus/publish-event.ts';
import type { EventEnvelope } from '../events/envelope.ts';
import { oneWritePerLoopTurn } from '../bus/one-write-per-loop-turn.ts';

export type EventPublisher = {
  publish(event: EventEnvelope, body: Uint8Array, traceHeaders: Record<string, string>): Promise<PublishResult>;
  /** For /health/all: the connection is up and the stream answers. */
  streamHealth(): Promise<{ ok: boolean; detail: string; messages?: number }>;
};

export function createEventPublisher(bus: BusConnection, options: { stream: string; subjectPrefix: string; timeoutMs: number }): EventPublisher {
  const js = jetstream(bus.nc, { timeout: options.timeoutMs });
  const batched = oneWritePerLoopTurn();
  return {
    // event-path says which way the event came, for whoever reads the stream during a migration.
    publish: (event, body, traceHeaders) => batched(() => publishEvent(bus, js, options, event, body, { ...traceHeaders, 'event-path': 'webhook' })),
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
