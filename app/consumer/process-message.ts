// What one consumer does with one JetStream message: decode, handle once, then ack, nak or park.
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { JsMsg } from '@nats-io/jetstream';
import { validateEvent } from '../events/envelope.ts';
import type { Logger } from '../telemetry/logger.ts';
import { contextFromHeaders, traceIdOf } from '../telemetry/trace-context.ts';
import type { EventHandler } from './handlers/handler.ts';
import type { Inbox } from './inbox.ts';
import type { ConsumerMetrics } from './metrics.ts';

export type Outcome = 'handled' | 'duplicate' | 'failed' | 'dead_lettered' | 'invalid';

export type ProcessOptions = {
  inbox: Inbox;
  handler: EventHandler;
  metrics: ConsumerMetrics;
  logger: Logger;
  maxDeliver: number;
  handlerDelayMs: number;
  now?: () => number;
};

const tracer = trace.getTracer('event-consumer');

/** Redelivery delay after a failed handler: grows with each attempt, capped at 30 s. */
export function redeliveryDelayMs(deliveryCount: number): number {
  return Math.min(30_000, 1000 * 2 ** (deliveryCount - 1));
}

export async function processMessage(msg: JsMsg, options: ProcessOptions): Promise<Outcome> {
  const { inbox, handler, metrics, logger, maxDeliver, handlerDelayMs } = options;
  const now = options.now ?? Date.now;
  const consumer = handler.consumer;
  const body = new TextDecoder().decode(msg.data);
  const traceHeaders: Record<string, string | undefined> = { traceparent: msg.headers?.get('traceparent') || undefined, tracestate: msg.headers?.get('tracestate') || undefined };
  const parent = contextFromHeaders(traceHeaders);

  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const validation = validateEvent(parsed);
  if (!validation.ok) {
    // Cannot happen for events the gateway accepted; parked rather than dropped so nothing vanishes.
    inbox.deadLetter(consumer, { streamSeq: msg.seq, subject: msg.subject, body, reason: 'invalid', detail: validation.failure.detail }, now());
    msg.term('invalid event');
    metrics.processed.add(1, { consumer, event_type: 'unknown', outcome: 'invalid' });
    logger.error({ consumer, stream_seq: msg.seq, reason: validation.failure.reason }, 'invalid message parked');
    return 'invalid';
  }
  const event = validation.event;
  const labels = { consumer, event_type: event.type };

  return await tracer.startActiveSpan(`consume ${consumer}`, { attributes: { 'event.id': event.id, 'event.type': event.type, 'messaging.consumer.name': consumer } }, parent, async (span) => {
    try {
      if (handlerDelayMs > 0) await new Promise((r) => setTimeout(r, handlerDelayMs));
      const delivery = { deliveryCount: msg.info.deliveryCount, streamSeq: msg.seq, traceId: traceIdOf(traceHeaders.traceparent) };
      const result = inbox.handleOnce(consumer, event, delivery, now(), (db) => handler.handle(event, db));
      msg.ack();
      metrics.processed.add(1, { ...labels, outcome: result });
      if (result === 'handled') {
        metrics.endToEndLatency.record(Math.max(0, (now() - Date.parse(event.occurredAt)) / 1000), { consumer });
        logger.debug({ consumer, event_id: event.id, event_type: event.type }, 'event handled');
      } else {
        logger.info({ consumer, event_id: event.id, delivery_count: msg.info.deliveryCount }, 'duplicate delivery skipped');
      }
      return result;
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      if (msg.info.deliveryCount >= maxDeliver) {
        inbox.deadLetter(consumer, { eventId: event.id, streamSeq: msg.seq, subject: msg.subject, body, reason: 'handler_failed', detail: (err as Error).message }, now());
        msg.term('handler kept failing');
        metrics.processed.add(1, { ...labels, outcome: 'dead_lettered' });
        logger.error({ consumer, event_id: event.id, err, delivery_count: msg.info.deliveryCount }, 'handler kept failing, event parked');
        return 'dead_lettered';
      }
      msg.nak(redeliveryDelayMs(msg.info.deliveryCount));
      metrics.processed.add(1, { ...labels, outcome: 'failed' });
      logger.warn({ consumer, event_id: event.id, err, delivery_count: msg.info.deliveryCount }, 'handler failed, will be redelivered');
      return 'failed';
    } finally {
      span.end();
    }
  });
}
