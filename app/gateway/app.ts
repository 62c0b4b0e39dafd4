// The CSR Platform webhook gateway: validate, verify, publish to JetStream, and only then answer 202.
import express, { type Request, type Response } from 'express';
import { validateEvent } from '../events/envelope.ts';
import { requireAdminToken } from '../http/admin-token.ts';
import { sendProblem, type Problem } from '../http/problem-details.ts';
import { SIGNATURE_HEADERS, verify } from '../signature/standard-webhooks.ts';
import type { Logger } from '../telemetry/logger.ts';
import { serveMetrics } from '../telemetry/sdk.ts';
import { currentTraceHeaders } from '../telemetry/trace-context.ts';
import type { GatewayConfig } from './config.ts';
import { BusPublishError } from '../bus/publish-event.ts';
import type { EventPublisher } from './event-publisher.ts';
import { decideFault, faultSchema, NO_FAULTS, type Faults } from './faults.ts';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.ts';
import { createRateLimiter } from './rate-limiter.ts';

export type Outcome = 'accepted' | 'duplicate' | 'invalid' | 'unauthorized' | 'rate_limited' | 'unavailable';

export type GatewayDeps = {
  config: GatewayConfig;
  publisher: EventPublisher;
  logger: Logger;
  metrics?: GatewayMetrics;
  now?: () => number;
  random?: () => number;
};

/** Seconds a client should wait after a 503 before retrying: long enough for a NATS reconnect. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;
const JSON_CONTENT_TYPE = /^application\/([\w.+-]+\+)?json$/i;

export function createApp(deps: GatewayDeps) {
  const { config, publisher, logger } = deps;
  const metrics = deps.metrics ?? createGatewayMetrics();
  const now = deps.now ?? Date.now;
  const takeToken = config.rateLimit.enabled ? createRateLimiter(config.rateLimit.perMinute, now) : undefined;
  const random = deps.random ?? Math.random;
  const readRawBody = express.raw({ type: () => true, limit: config.maxBodyBytes });
  let faults: Faults = NO_FAULTS;

  const app = express();
  app.disable('x-powered-by');
  // Express would hash every 202 body for an ETag that no webhook sender revalidates.
  app.disable('etag');

  app.post(config.endpoint, (req, res) => {
    const startedAt = performance.now();
    let eventType = 'unknown';

    const finish = (outcome: Outcome, status: number, reason?: string) => {
      const seconds = (performance.now() - startedAt) / 1000;
      metrics.processingDuration.record(seconds, { event_type: eventType, outcome });
      metrics.received.add(1, reason ? { event_type: eventType, outcome, reason } : { event_type: eventType, outcome });
      const line = { event_id: res.locals.eventId, event_type: eventType, outcome, status, reason, duration_ms: Math.round(seconds * 1000) };
      if (status >= 500) logger.error(line, 'webhook failed');
      else if (status >= 400) logger.warn(line, 'webhook rejected');
      else logger.info(line, 'webhook accepted');
    };
    const reject = (outcome: Outcome, problem: Problem, headers?: Record<string, string>) => {
      sendProblem(res, problem, headers);
      finish(outcome, problem.status, problem.reason);
    };

    if (takeToken) {
      const decision = takeToken();
      if (!decision.allowed) {
        const retryAfter = String(decision.retryAfterSeconds);
        return reject('rate_limited', { status: 429, title: 'Too many requests', reason: 'rate_limited', detail: `Limit is ${config.rateLimit.perMinute} per minute.` }, { 'Retry-After': retryAfter });
      }
    }

    readRawBody(req, res, (err?: unknown) => {
      if (err) return reject('invalid', bodyReadProblem(err, config.maxBodyBytes));
      void handleWebhook(req, res).catch((error: unknown) => {
        logger.error({ err: error }, 'unexpected gateway error');
        metrics.errors.add(1, { reason: 'internal' });
        // A bug is still a retryable failure to the sender: the event was not accepted.
        if (!res.headersSent) reject('unavailable', { status: 500, title: 'Internal error', reason: 'internal' });
      });
    });

    async function handleWebhook(req: Request, res: Response) {
      const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const contentType = (req.get('content-type') ?? '').split(';')[0]!.trim();
      if (!JSON_CONTENT_TYPE.test(contentType)) {
        return reject('invalid', { status: 415, title: 'Unsupported media type', reason: 'unsupported_media_type', detail: 'Send Content-Type: application/json.' });
      }

      if (config.signature.enabled) {
        const result = verify(
          config.signature.keys,
          {
            id: req.get(SIGNATURE_HEADERS.id),
            timestamp: req.get(SIGNATURE_HEADERS.timestamp),
            signature: req.get(SIGNATURE_HEADERS.signature),
            body,
          },
          Math.floor(now() / 1000),
          config.signature.toleranceSeconds,
        );
        if (!result.ok) {
          metrics.signatureFailures.add(1, { reason: result.reason });
          return reject('unauthorized', { status: 401, title: 'Invalid webhook signature', reason: `signature_${result.reason}`, detail: result.detail });
        }
      }

      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch (error) {
        return reject('invalid', { status: 400, title: 'Malformed JSON', reason: 'malformed_json', detail: (error as Error).message });
      }

      const validation = validateEvent(parsed);
      if (!validation.ok) {
        const { reason, detail, errors } = validation.failure;
        return reject('invalid', { status: 422, title: 'Invalid event', reason, detail, errors });
      }
      const event = validation.event;
      eventType = event.type;
      res.locals.eventId = event.id;
      metrics.eventLag.record(Math.max(0, (now() - Date.parse(event.occurredAt)) / 1000), { event_type: eventType });

      if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
      const fault = decideFault(faults, random);
      if (fault.kind === 'error') {
        metrics.errors.add(1, { reason: 'injected_fault' });
        return reject('unavailable', { status: 500, title: 'Injected fault', reason: 'injected_fault', detail: 'A drill asked the gateway to fail this request.' });
      }
      if (fault.kind === 'reject') {
        return reject('invalid', { status: 422, title: 'Injected rejection', reason: 'injected_rejection', detail: 'A drill asked the gateway to reject this event.' });
      }

      if (config.ackMode === 'before-publish') {
        // The Phase 1 design, kept only to measure what it loses (see config.ts).
        res.status(202).json({ id: event.id, status: 'accepted', duplicate: false, sequence: null });
        finish('accepted', 202);
        publisher.publish(event, body, currentTraceHeaders()).catch((error: unknown) => {
          metrics.busPublishErrors.add(1, { reason: error instanceof BusPublishError ? error.reason : 'unknown' });
          logger.error({ event_id: event.id, err: error }, 'publish after 202 failed: the event is lost');
        });
        return;
      }

      try {
        const { duplicate, sequence } = await publisher.publish(event, body, currentTraceHeaders());
        res.status(202).json({ id: event.id, status: 'accepted', duplicate, sequence });
        return finish(duplicate ? 'duplicate' : 'accepted', 202);
      } catch (error) {
        if (!(error instanceof BusPublishError)) throw error;
        metrics.busPublishErrors.add(1, { reason: error.reason });
        metrics.errors.add(1, { reason: 'bus_unavailable' });
        logger.warn({ event_id: event.id, bus_reason: error.reason, err: error }, 'publish to JetStream failed');
        return reject(
          'unavailable',
          { status: 503, title: 'Event bus unavailable', reason: 'bus_unavailable', detail: `JetStream did not acknowledge the event (${error.reason}); retry later.`, busReason: error.reason },
          { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_SECONDS) },
        );
      }
    }
  });

  app.all(config.endpoint, (req, res) => {
    sendProblem(res, { status: 405, title: 'Method not allowed', reason: 'method_not_allowed' }, { Allow: 'POST' });
  });

  app.get('/health/webhook', (_req, res) => {
    res.json({ status: 'ok', endpoint: config.endpoint });
  });

  app.get('/health/all', async (_req, res) => {
    const stream = await publisher.streamHealth();
    res.status(stream.ok ? 200 : 503).json({
      status: stream.ok ? 'ok' : 'degraded',
      checks: { webhook: { ok: true }, nats: stream },
    });
  });

  app.get('/metrics', (req, res) => serveMetrics(req, res));

  if (config.adminToken) {
    const admin = express.Router();
    admin.use(requireAdminToken(config.adminToken));
    admin.get('/faults', (_req, res) => {
      res.json(faults);
    });
    admin.put('/faults', express.json(), (req, res) => {
      const parsed = faultSchema.safeParse(req.body ?? {});
      if (!parsed.success) {
        return sendProblem(res, { status: 422, title: 'Invalid faults', reason: 'schema_invalid', errors: parsed.error.issues.map((i) => ({ path: '/' + i.path.join('/'), message: i.message })) });
      }
      faults = parsed.data;
      logger.warn({ faults }, 'fault injection changed');
      res.json(faults);
    });
    admin.delete('/faults', (_req, res) => {
      faults = NO_FAULTS;
      logger.warn('fault injection cleared');
      res.json(faults);
    });
    app.use('/admin', admin);
  }

  app.use((req, res) => {
    sendProblem(res, { status: 404, title: 'Not found', reason: 'not_found', detail: `${req.method} ${req.path} does not exist.` });
  });

  return app;
}

function bodyReadProblem(err: unknown, limit: number): Problem {
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') {
    return { status: 413, title: 'Payload too large', reason: 'payload_too_large', detail: `The body exceeds ${limit} bytes.` };
  }
  return { status: 400, title: 'Unreadable body', reason: 'unreadable_body', detail: (err as Error).message };
}
