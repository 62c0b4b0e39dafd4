// What one consumer does with the messages JetStream hands it: decode, handle each once inside one
// transaction for the batch, and only after the commit ack, nak or park each message.
import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { JsMsg } from '@nats-io/jetstream';
import { validateEvent, type EventEnvelope } from '../events/envelope.ts';
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
const utf8 = new TextDecoder();

/** Redelivery delay after a failed handler: grows with each attempt, capped at 30 s. */
export function redeliveryDelayMs(deliveryCount: number): number {
  return Math.min(30_000, 1000 * 2 ** (deliveryCount - 1));
}

export type Step = { msg: JsMsg; outcome: Outcome; event?: EventEnvelope; span?: Span; error?: Error; reason?: string };

/** Decides every message of a batch; run inside the inbox transaction that commits their effects. */
export function decideBatch(msgs: readonly JsMsg[], options: ProcessOptions): Step[] {
  const { inbox, handler, maxDeliver } = options;
  const now = options.now ?? Date.now;
  const consumer = handler.consumer;
  return msgs.map((msg): Step => {
    const body = utf8.decode(msg.data);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    const validation = validateEvent(parsed);
    if (!validation.ok) {
      // Cannot happen for events the gateway accepted; parked rather than dropped so nothing vanishes.
      inbox.deadLetter(
        consumer,
        { streamSeq: msg.seq, subject: msg.subject, body, reason: 'invalid', detail: validation.failure.detail },
        now(),
      );
      return { msg, outcome: 'invalid', reason: validation.failure.reason };
    }
    const event = validation.event;
    const traceparent = msg.headers?.get('traceparent') || undefined;
    const parent = contextFromHeaders({ traceparent, tracestate: msg.headers?.get('tracestate') || undefined });
    const span = tracer.startSpan(
      `consume ${consumer}`,
      { attributes: { 'event.id': event.id, 'event.type': event.type, 'messaging.consumer.name': consumer } },
      parent,
    );
    try {
      const delivery = { deliveryCount: msg.info.deliveryCount, streamSeq: msg.seq, traceId: traceIdOf(traceparent) };
      return { msg, event, span, outcome: inbox.handleOnce(consumer, event, delivery, now(), (db) => handler.handle(event, db)) };
    } catch (err) {
      if (msg.info.deliveryCount < maxDeliver) return { msg, event, span, outcome: 'failed', error: err as Error };
      inbox.deadLetter(
        consumer,
        { eventId: event.id, streamSeq: msg.seq, subject: msg.subject, body, reason: 'handler_failed', detail: (err as Error).message },
        now(),
      );
      return { msg, event, span, outcome: 'dead_lettered', error: err as Error };
    }
  });
}

/** One consumer's batch on its own: one inbox commit, then the acks. */
export async function processBatch(msgs: readonly JsMsg[], options: ProcessOptions): Promise<Outcome[]> {
  if (options.handlerDelayMs > 0) await new Promise((r) => setTimeout(r, options.handlerDelayMs * msgs.length));
  const steps = options.inbox.batch(() => decideBatch(msgs, options));
  return settleBatch(steps, options);
}

/** After the commit: ack, nak or park each message, and record what happened. */
export function settleBatch(steps: readonly Step[], options: ProcessOptions): Outcome[] {
  const { metrics, logger } = options;
  const now = options.now ?? Date.now;
  const consumer = options.handler.consumer;
  // Committed: now tell JetStream. An ack lost on the way only brings a redelivery the inbox skips.
  for (const { msg, event, span, outcome, error, reason } of steps) {
    const eventType = event?.type ?? 'unknown';
    metrics.processed.add(1, { consumer, event_type: eventType, outcome });
    const log = { consumer, event_id: event?.id, event_type: event?.type, stream_seq: msg.seq, delivery_count: msg.info.deliveryCount };
    switch (outcome) {
      case 'handled':
        msg.ack();
        metrics.endToEndLatency.record(Math.max(0, (now() - Date.parse(event!.occurredAt)) / 1000), { consumer });
        logger.debug(log, 'event handled');
        break;
      case 'duplicate':
        msg.ack();
        logger.info(log, 'duplicate delivery skipped');
        break;
      case 'failed':
        msg.nak(redeliveryDelayMs(msg.info.deliveryCount));
        logger.warn({ ...log, err: error }, 'handler failed, will be redelivered');
        break;
      case 'dead_lettered':
        msg.term('handler kept failing');
        logger.error({ ...log, err: error }, 'handler kept failing, event parked');
        break;
      case 'invalid':
        msg.term('invalid event');
        logger.error({ ...log, reason }, 'invalid message parked');
        break;
    }
    if (error) span?.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    span?.end();
  }
  return steps.map((s) => s.outcome);
}
