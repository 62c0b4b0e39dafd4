// The Buddy System publisher API: events are created here, written to the outbox, and acknowledged
// only once they are on disk. Delivery happens in the background (delivery-loop.ts).
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { requireAdminToken } from '../http/admin-token.ts';
import { sendProblem } from '../http/problem-details.ts';
import type { Logger } from '../telemetry/logger.ts';
import { serveMetrics } from '../telemetry/sdk.ts';
import { EventValidationError, type WebhookPublisher } from './publisher.ts';

export type PublisherDeps = {
  publisher: Pick<WebhookPublisher<unknown>, 'publish' | 'health' | 'deadLetters'>;
  logger: Logger;
  adminToken?: string;
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
  const { publisher, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

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
    const correlationId = req.get('x-correlation-id');
    const input = correlationId ? { ...request.data, metadata: { correlationId, ...request.data.metadata } } : request.data;
    try {
      const { id, duplicate } = await publisher.publish(input);
      logger.debug({ event_id: id, event_type: input.type, duplicate }, 'event queued');
      res.status(202).json({ id, status: 'queued', duplicate });
    } catch (err) {
      if (!(err instanceof EventValidationError)) throw err;
      logger.warn({ reason: err.reason, errors: err.errors }, 'event rejected');
      return sendProblem(res, { status: 422, title: 'Invalid event', reason: err.reason, detail: err.message, errors: err.errors });
    }
  });

  app.get('/health', async (_req, res) => {
    res.json({ status: 'ok', ...(await publisher.health()) });
  });

  app.get('/metrics', (req, res) => serveMetrics(req, res));

  if (deps.adminToken) {
    const admin = express.Router();
    admin.use(requireAdminToken(deps.adminToken));
    admin.get('/dead-letters', async (req, res) => {
      const limit = Math.min(Number(req.query.limit ?? 100) || 100, 1000);
      const { deadLetter } = await publisher.health();
      res.json({ depth: deadLetter.depth, items: (await publisher.deadLetters.list(limit)).map(summarizeDeadLetter) });
    });
    admin.get('/dead-letters/:id', async (req, res) => {
      const row = await publisher.deadLetters.inspect(req.params.id);
      if (!row) return sendProblem(res, { status: 404, title: 'Not found', reason: 'not_found', detail: `No dead letter ${req.params.id}.` });
      res.json({ ...summarizeDeadLetter(row), event: JSON.parse(row.body) });
    });
    admin.post('/dead-letters/replay', async (_req, res) => {
      const replayed = await publisher.deadLetters.replay('all');
      logger.info({ count: replayed.length }, 'dead letters replayed');
      res.json({ replayed });
    });
    admin.post('/dead-letters/:id/replay', async (req, res) => {
      const replayed = await publisher.deadLetters.replay([req.params.id]);
      if (replayed.length === 0) return sendProblem(res, { status: 404, title: 'Not found', reason: 'not_found', detail: `No dead letter ${req.params.id}.` });
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
