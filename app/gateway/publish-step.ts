// How an accepted event is published: a step composed once in createApp, the bus writer wrapped from
// outside by what only drills and measurements use (the fault switch, the Phase 1 ack mode), so the
// request path never asks which of them is on.
import { type BusFailureReason, BusPublishError } from '../bus/publish-event.ts';
import type { EventEnvelope } from '../events/envelope.ts';
import { currentTraceHeaders } from '../telemetry/trace-context.ts';
import type { AcceptedWebhook } from './accept-webhook.ts';
import type { EventBusWriter } from './event-bus-writer.ts';
import { decideFault, type Faults } from './faults.ts';
import { rejection, type WebhookResult } from './webhook-result.ts';

export type PublishStep = (accepted: AcceptedWebhook) => Promise<WebhookResult>;

/** Seconds a client should wait after a 503 before retrying: long enough for a NATS reconnect. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Published once JetStream acknowledges; a bus failure is a 503 the sender retries. Anything else is a bug and throws. */
export function publishToBus(busWriter: EventBusWriter): PublishStep {
  return async ({ event, body }) => {
    try {
      const { duplicate, sequence } = await busWriter.publish(event, body, currentTraceHeaders());
      return { kind: 'published', event, duplicate, sequence };
    } catch (error) {
      if (!(error instanceof BusPublishError)) throw error;
      const { reason } = error;
      const detail = `JetStream did not acknowledge the event (${reason}); retry later.`;
      return rejection(
        'unavailable',
        { status: 503, title: 'Event bus unavailable', reason: 'bus_unavailable', detail, busReason: reason },
        {
          headers: { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_SECONDS) },
          event: { id: event.id, type: event.type },
          bus: { reason, error },
        },
      );
    }
  };
}

export type LostEventHandler = (event: EventEnvelope, reason: BusFailureReason, error: unknown) => void;

/**
 * The Phase 1 design (GATEWAY_ACK_MODE=before-publish), kept only to measure what it loses: 202 at
 * once, publish afterwards; a failure then loses an event already acknowledged, told to `onLost`.
 */
export function ackBeforePublish(publish: PublishStep, onLost: LostEventHandler): PublishStep {
  return (accepted) => {
    publish(accepted).then(
      (result) => {
        if (result.kind === 'reject') onLost(accepted.event, result.bus?.reason ?? 'unknown', result.bus?.error);
      },
      (error: unknown) => onLost(accepted.event, 'unknown', error),
    );
    return Promise.resolve({ kind: 'published', event: accepted.event, duplicate: false, sequence: null });
  };
}

/** The drill faults (faults.ts) as they are at each request: delay, then fail or reject a share of valid webhooks. */
export function withFaults(publish: PublishStep, current: () => Faults, random: () => number): PublishStep {
  return async (accepted) => {
    const faults = current();
    if (faults.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.delayMs));
    const fault = decideFault(faults, random);
    const event = { id: accepted.event.id, type: accepted.event.type };
    if (fault.kind === 'error') {
      const detail = 'A drill asked the gateway to fail this request.';
      return rejection('unavailable', { status: 500, title: 'Injected fault', reason: 'injected_fault', detail }, { event });
    }
    if (fault.kind === 'reject') {
      const detail = 'A drill asked the gateway to reject this event.';
      return rejection('invalid', { status: 422, title: 'Injected rejection', reason: 'injected_rejection', detail }, { event });
    }
    return publish(accepted);
  };
}
