// The Buddy System publisher API: events are created here, written to the outbox, and acknowledged
// only once they are on disk. Delivery happens in the background (delivery-loop.ts).
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { EVENT_SOURCE, validateEvent, type EventEnvelope } from '../events/envelope.ts';
import { requireAdminToken } from '../http/admin-token.ts';
import { sendProblem } from '../http/problem-details.ts';
import type { Logger } from '../telemetry/logger.ts';
import { serveMetrics } from '../telemetry/sdk.ts';
import { currentTraceHeaders } from '../telemetry/trace-context.ts';
import type { LastDelivery } from './delivery-loop.ts';
import { groupCommit } from './group-commit.ts';
import type { Outbox } from './outbox.ts';

export type PublisherDeps = {
  outbox: Outbox;
  logger: Logger;
  /** The delivery loop, when delivery is enabled: woken on enqueue, asked for its last result. */
  delivery?: { wake(): void; lastDelivery(): LastDelivery | undefined };
  adminToken?: string;
  transportMode?: () => string;
  now?: () => number;
};

// What a caller sends; the publisher fills in id, occurredAt, source and correlationId when absent.
const createEventRequest = z.strictObject({
  id: z.uuid().optional(),
  type: z.string(),
  version: z.int().min(1).default(1),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  data: z.unknown(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export function createApp(deps: PublisherDeps) {
  const { outbox, logger, delivery } = deps;
  const now = deps.now ?? Date.now;
  // Concurrent requests share one durable commit; each still answers only after its own is on disk.
  const enqueue = groupCommit((items: { event: EventEnvelope; traceHeaders: Record<string, string> }[]) => outbox.enqueueMany(items, now()));
  const app = express();
  app.disable('x-powered-by');

  app.post('/events', express.json({ limit: '256kb' }), async (req, res) => {
    if (req.body === undefined) {
      logger.warn({ reason: 'unsupported_media_type' }, 'event rejected');
      return sendProblem(res, { status: 415, title: 'Unsupported media type', reason: 'unsupported_media_type', detail: 'Send Content-Type: application/json.' });
    }
    const request = createEventRequest.safeParse(req.body);
    if (!request.success) {
      const errors = request.error.issues.map((i) => ({ path: '/' + i.path.join('/'), message: i.message }));
      logger.warn({ reason: 'schema_invalid', errors }, 'event rejected');
      return sendProblem(res, { status: 422, title: 'Invalid event', reason: 'schema_invalid', errors });
    }
    const { id, type, version, occurredAt, data, metadata } = request.data;
    const validation = validateEvent({
      id: id ?? randomUUID(),
      type,
      version,
      occurredAt: occurredAt ?? new Date(now()).toISOString(),
      source: EVENT_SOURCE,
      data,
      metadata: { correlationId: req.get('x-correlation-id') ?? randomUUID(), ...metadata },
    });
    if (!validation.ok) {
      const { reason, detail, errors } = validation.failure;
      logger.warn({ reason, errors }, 'event rejected');
      return sendProblem(res, { status: 422, title: 'Invalid event', reason, detail, errors });
    }
    const event = validation.event;
    const queued = await enqueue({ event, traceHeaders: currentTraceHeaders() });
    delivery?.wake();
    logger.debug({ event_id: event.id, event_type: event.type, duplicate: !queued }, 'event queued');
    res.status(202).json({ id: event.id, status: 'queued', duplicate: !queued });
  });

  app.get('/health', (_req, res) => {
    res.json({
      status: 'ok',
      delivery: delivery ? 'enabled' : 'disabled',
      transport: deps.transportMode?.() ?? 'webhook',
      outbox: { depth: outbox.depth() },
      deadLetter: { depth: outbox.deadLetterDepth() },
      lastDelivery: delivery?.lastDelivery() ?? null,
    });
  });

  app.get('/metrics', (req, res) => serveMetrics(req, res));

  if (deps.adminToken) {
    const admin = express.Router();
    admin.use(requireAdminToken(deps.adminToken));
    admin.get('/dead-letters', (req, res) => {
      const limit = Math.min(Number(req.query.limit ?? 100) || 100, 1000);
      res.json({ depth: outbox.deadLetterDepth(), items: outbox.listDeadLetters(limit).map(summarizeDeadLetter) });
    });
    admin.get('/dead-letters/:id', (req, res) => {
      const row = outbox.getDeadLetter(req.params.id);
      if (!row) return sendProblem(res, { status: 404, title: 'Not found', reason: 'not_found', detail: `No dead letter ${req.params.id}.` });
      res.json({ ...summarizeDeadLetter(row), event: JSON.parse(row.body) });
    });
    admin.post('/dead-letters/replay', (_req, res) => {
      const replayed = outbox.replayAll(now());
      delivery?.wake();
      logger.info({ count: replayed.length }, 'dead letters replayed');
      res.json({ replayed });
    });
    admin.post('/dead-letters/:id/replay', (req, res) => {
      const replayed = outbox.replay([req.params.id], now());
      if (replayed.length === 0) return sendProblem(res, { status: 404, title: 'Not found', reason: 'not_found', detail: `No dead letter ${req.params.id}.` });
      delivery?.wake();
      logger.info({ event_id: req.params.id }, 'dead letter replayed');
      res.json({ replayed });
    });
    app.use('/admin', admin);
  }

  app.use((req, res) => {
    sendProblem(res, { status: 404, title: 'Not found', reason: 'not_found', detail: `${req.method} ${req.path} does not exist.` });
  });

  // Body-parser failures (malformed JSON, oversized bodies) become problem+json, never a stack trace.
  app.use((err: { status?: number; type?: string; message: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    const reason = err.type === 'entity.too.large' ? 'payload_too_large' : err.type === 'entity.parse.failed' ? 'malformed_json' : status === 500 ? 'internal' : 'bad_request';
    (status === 500 ? logger.error : logger.warn).call(logger, { reason, err }, 'request failed');
    sendProblem(res, { status, title: status === 500 ? 'Internal error' : 'Bad request', reason, detail: status === 500 ? undefined : err.message });
  });

  return app;
}

function summarizeDeadLetter(row: { id: string; type: string; attempts: number; last_status: number | null; reason: string; detail: string | null; created_at: number; dead_lettered_at: number }) {
  return {
    id: row.id,
    type: row.type,
    attempts: row.attempts,
    lastStatus: row.last_status,
    reason: row.reason,
    detail: row.detail,
    createdAt: new Date(row.created_at).toISOString(),
    deadLetteredAt: new Date(row.dead_lettered_at).toISOString(),
  };
}
