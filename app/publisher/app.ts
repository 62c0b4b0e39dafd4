// The Buddy System publisher API: events are created here, written to the outbox, and acknowledged
// only once they are on disk. Delivery happens in the background (delivery-loop.ts).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { requireAdminToken, requireBearerToken } from '../http/admin-token.ts';
import { type BodyReadError, describeBodyError } from '../http/body-errors.ts';
import { pathOf, withPlainRoute } from '../http/plain-route.ts';
import { sendProblem } from '../http/problem-details.ts';
import { readJsonBody } from '../http/read-body.ts';
import { header } from '../http/request-header.ts';
import { sendJson } from '../http/send-json.ts';
import { counter } from '../telemetry/instruments.ts';
import type { Logger } from '../telemetry/logger.ts';
import { METRICS } from '../telemetry/metric-catalog.ts';
import { serveMetrics } from '../telemetry/sdk.ts';
import { DatabaseFileError } from '../storage/sqlite.ts';
import { EventValidationError, type WebhookPublisher } from './publisher.ts';
import { inRequestContext, requestTelemetry, routeTelemetry } from '../http/request-telemetry.ts';
import { zodIssuesToErrors } from '../validation/zod-issues.ts';

export type PublisherDeps = {
  publisher: Pick<WebhookPublisher<unknown>, 'publish' | 'health' | 'deadLetters' | 'eventStatus'>;
  logger: Logger;
  adminToken?: string;
  /** When set, POST /events requires it as a bearer token. */
  apiToken?: string;
  /** Events being read or waiting for their outbox commit; one more is answered 503 (PUBLISHER_API_MAX_WAITING). */
  maxWaiting?: number;
};

/** Every reason the API refuses a request with: the problem+json `reason`, the metric label and the log field. */
export const PUBLISHER_REJECTION_REASONS = [
  'overloaded',
  'api_unauthorized',
  'admin_unauthorized',
  'unsupported_media_type',
  'malformed_json',
  'payload_too_large',
  'bad_request',
  'schema_invalid',
  'unknown_event_type',
  'unknown_event_version',
  'not_found',
] as const;

// What a caller sends; the publisher fills in id, occurredAt, source and correlationId when absent.
const createEventRequest = z.strictObject({
  id: z.uuid().optional(),
  type: z.string(),
  version: z.int().min(1).default(1),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  data: z.unknown(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

const EVENT_BODY_LIMIT_BYTES = 256 * 1024;

/** The publisher's API: POST /events is served with node:http (plain-route.ts says why), the rest by Express. */
export function createApp(deps: PublisherDeps): RequestListener {
  const { publisher, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(requestTelemetry());
  const rejections = counter(METRICS.publisherRequestsRejected);
  // From zero, so the first rejection of each kind counts in rate().
  for (const reason of PUBLISHER_REJECTION_REASONS) rejections.add(0, { reason });
  const rejected = (reason: string) => rejections.add(1, { reason });
  const unauthorized = (reason: string, req: IncomingMessage) => {
    rejected(reason);
    logger.warn({ reason, method: req.method, path: pathOf(req) }, 'request rejected');
  };
  // Checked before the body is read: an unauthenticated caller costs no parsing.
  const apiGuard = deps.apiToken
    ? requireBearerToken(deps.apiToken, { title: 'API token required', reason: 'api_unauthorized', onReject: unauthorized })
    : (_req: IncomingMessage, _res: ServerResponse, next: () => void) => next();

  async function createEvent(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    if (body === undefined) {
      rejected('unsupported_media_type');
      logger.warn({ reason: 'unsupported_media_type' }, 'event rejected');
      return sendProblem(res, {
        status: 415,
        title: 'Unsupported media type',
        reason: 'unsupported_media_type',
        detail: 'Send Content-Type: application/json.',
      });
    }
    const request = createEventRequest.safeParse(body);
    if (!request.success) {
      const errors = zodIssuesToErrors(request.error.issues);
      rejected('schema_invalid');
      logger.warn({ reason: 'schema_invalid', errors }, 'event rejected');
      return sendProblem(res, { status: 422, title: 'Invalid event', reason: 'schema_invalid', errors });
    }
    const correlationId = header(req.headers, 'x-correlation-id');
    const input = correlationId ? { ...request.data, metadata: { correlationId, ...request.data.metadata } } : request.data;
    try {
      const { id, duplicate } = await publisher.publish(input);
      logger.debug({ event_id: id, event_type: input.type, duplicate }, 'event queued');
      sendJson(res, 202, { id, status: 'queued', duplicate });
    } catch (err) {
      if (err instanceof DatabaseFileError) {
        // Acknowledging would be a lie: the commit went to a file no restart will find.
        logger.error({ reason: err.reason, err: err.message }, 'event refused');
        return sendProblem(
          res,
          { status: 503, title: 'Outbox unavailable', reason: err.reason, detail: `${err.message}; restart the publisher.` },
          { 'Retry-After': '30' },
        );
      }
      if (!(err instanceof EventValidationError)) throw err;
      rejected(err.reason);
      logger.warn({ reason: err.reason, errors: err.errors }, 'event rejected');
      return sendProblem(res, { status: 422, title: 'Invalid event', reason: err.reason, detail: err.message, errors: err.errors });
    }
  }

  // Without a bound, a store slower than the callers holds every waiting request in memory (286 MB
  // at 2,500/s on PostgreSQL); past it the caller is asked to come back, as the gateway does.
  const maxWaiting = deps.maxWaiting ?? Number.POSITIVE_INFINITY;
  let waiting = 0;
  let overloadLogged = false;
  const refuseOverload = (res: ServerResponse) => {
    rejected('overloaded');
    if (!overloadLogged) logger.warn({ reason: 'overloaded', waiting }, 'events refused while the outbox catches up');
    overloadLogged = true;
    sendProblem(
      res,
      {
        status: 503,
        title: 'Overloaded',
        reason: 'overloaded',
        detail: `${waiting} events are waiting for the outbox; retry after a second.`,
      },
      { 'Retry-After': '1' },
    );
  };

  const eventsTelemetry = routeTelemetry('/events');
  const postEvents = (req: IncomingMessage, res: ServerResponse) =>
    eventsTelemetry(req, res, () =>
      apiGuard(req, res, () => {
        if (waiting >= maxWaiting) return refuseOverload(res);
        overloadLogged = false;
        waiting++;
        res.once('close', () => waiting--);
        const failed = (err: BodyReadError) => {
          if (!res.headersSent) answerError(err, res);
        };
        readJsonBody(req, EVENT_BODY_LIMIT_BYTES).then(
          (body) => inRequestContext(res, () => createEvent(req, res, body)).catch(failed),
          failed,
        );
      }),
    );

  app.get('/health', async (_req, res) => {
    const health = await publisher.health();
    res.status(health.ok ? 200 : 503).json({ status: health.ok ? 'ok' : 'degraded', ...health });
  });

  app.get('/metrics', (req, res) => serveMetrics(req, res));

  if (deps.adminToken) {
    const admin = express.Router();
    admin.use(requireAdminToken(deps.adminToken, unauthorized));
    // A body that does not parse is refused, not ignored: a garbled replay request must not replay everything.
    admin.use(express.json({ limit: '16kb' }));
    admin.get('/dead-letters', async (req, res) => {
      const limit = Math.min(Number(req.query.limit ?? 100) || 100, 1000);
      const { deadLetter } = await publisher.health();
      res.json({ depth: deadLetter.depth, items: (await publisher.deadLetters.list(limit)).map(summarizeDeadLetter) });
    });
    admin.get('/dead-letters/:id', async (req, res) => {
      const row = await publisher.deadLetters.inspect(req.params.id);
      if (!row)
        return sendProblem(res, { status: 404, title: 'Not found', reason: 'not_found', detail: `No dead letter ${req.params.id}.` });
      res.json({ ...summarizeDeadLetter(row), event: JSON.parse(row.body) });
    });
    admin.post('/dead-letters/replay', async (_req, res) => {
      const replayed = await publisher.deadLetters.replay('all');
      logger.info({ count: replayed.length }, 'dead letters replayed');
      res.json({ replayed });
    });
    admin.post('/dead-letters/:id/replay', async (req, res) => {
      const replayed = await publisher.deadLetters.replay([req.params.id]);
      if (replayed.length === 0)
        return sendProblem(res, { status: 404, title: 'Not found', reason: 'not_found', detail: `No dead letter ${req.params.id}.` });
      logger.info({ event_id: req.params.id }, 'dead letter replayed');
      res.json({ replayed });
    });
    // Where one event stands (npm run trace): delivered, retrying, dead-lettered, or queued.
    admin.get('/events/:id', async (req, res) => {
      const status = await publisher.eventStatus(req.params.id);
      if (!status)
        return sendProblem(res, {
          status: 404,
          title: 'Event unknown',
          reason: 'event_unknown',
          detail: `${req.params.id} is no dead letter, and this publisher has not handled it since it started (or not recently): it may still wait in the outbox.`,
        });
      res.json(status);
    });
    app.use('/admin', admin);
  }
  app.use((req, res) => {
    rejected('not_found');
    sendProblem(res, { status: 404, title: 'Not found', reason: 'not_found', detail: `${req.method} ${req.path} does not exist.` });
  });

  // Body-parser failures (malformed JSON, oversized bodies) become problem+json, never a stack trace.
  function answerError(err: BodyReadError, res: ServerResponse): void {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    const reason =
      err.type === 'entity.too.large'
        ? 'payload_too_large'
        : err.type === 'entity.parse.failed'
          ? 'malformed_json'
          : err.type === 'encoding.unsupported'
            ? 'unsupported_media_type'
            : status === 500
              ? 'internal'
              : 'bad_request';
    if (status < 500) rejected(reason);
    // A 4xx is logged by its size and error position only: the body is the caller's data.
    const described = status === 500 ? undefined : describeBodyError(err);
    (status === 500 ? logger.error : logger.warn).call(logger, { reason, ...(described ? described.log : { err }) }, 'request failed');
    sendProblem(res, { status, title: status === 500 ? 'Internal error' : 'Bad request', reason, detail: described?.detail });
  }
  app.use((err: BodyReadError, _req: Request, res: Response, _next: NextFunction) => answerError(err, res));

  return withPlainRoute({ method: 'POST', path: '/events', handle: postEvents }, app);
}

function summarizeDeadLetter(row: {
  id: string;
  type: string;
  attempts: number;
  last_status: number | null;
  reason: string;
  detail: string | null;
  created_at: number;
  dead_lettered_at: number;
}) {
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
