// The publisher's direct JetStream transport (Phase 2): publish, wait for the PubAck, and report it
// in the same terms as a webhook attempt, so retries, dead letters and metrics work unchanged.
import { connectToBus, type BusAccess, type BusConnection } from '../../bus/connection.ts';
import { jetStreamPublisher, type JetStreamPublisher } from '../../bus/jetstream-publisher.ts';
import { BusPublishError, publishEvent } from '../../bus/publish-event.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { Transport } from '../transport.ts';

/** `nkey` and `tls`: the publisher identity's seed file and the CA (see app/config/nats-settings.ts). */
export type NatsTransportOptions = BusAccess & { stream: string; subjectPrefix: string; timeoutMs: number; logger: Logger };

export function natsTransport(options: NatsTransportOptions): Transport {
  let connecting: Promise<{ bus: BusConnection; publisher: JetStreamPublisher }> | undefined;
  let bus: BusConnection | undefined;
  // Connected on first use: a publisher that never leaves the webhook mode never opens NATS.
  const connection = () =>
    (connecting ??= connectToBus({
      servers: options.servers,
      nkey: options.nkey,
      tls: options.tls,
      identity: 'publisher',
      name: 'buddy-publisher',
      logger: options.logger,
    }).then((b) => {
      bus = b;
      return { bus: b, publisher: jetStreamPublisher(b.nc, { timeoutMs: options.timeoutMs }) };
    }));
  return {
    path: 'nats',
    async send(row) {
      const ready = await Promise.race([connection(), new Promise<undefined>((r) => setTimeout(() => r(undefined), options.timeoutMs))]);
      if (!ready) return { kind: 'connection', message: 'not connected to NATS yet' };
      const { version } = JSON.parse(row.body) as { version: number };
      const traceHeaders = row.trace_headers ? (JSON.parse(row.trace_headers) as Record<string, string>) : {};
      try {
        await publishEvent(ready.bus, ready.publisher, options, { id: row.id, type: row.type, version }, row.body, {
          ...traceHeaders,
          'event-path': 'nats',
        });
        // The PubAck stands where the gateway's 202 does: the event is durable in the stream.
        return { kind: 'response', status: 202 };
      } catch (err) {
        if (!(err instanceof BusPublishError)) throw err;
        if (err.reason === 'timeout') return { kind: 'timeout' };
        if (err.reason === 'disconnected' || err.reason === 'no_responders') return { kind: 'connection', message: `nats: ${err.reason}` };
        return { kind: 'response', status: 503 };
      }
    },
    close: async () => {
      await bus?.drain();
    },
  };
}
