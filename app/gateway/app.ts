// The CSR Platform webhook gateway: validate, verify, publish to JetStream, and only then answer 202.
// Cheapest checks first: headers (admission.ts) before the body is read, the HMAC before JSON, and
// the rate limit only once a request is authenticated.
import express, { type Request, type Response } from 'express';
import { validateEvent } from '../events/envelope.ts';
import { requireAdminToken } from '../http/admin-token.ts';
import { sendProblem, type Problem } from '../http/problem-details.ts';
import { describeMalformedJson } from '../http/body-errors.ts';
import { problemErrorHandler } from '../http/problem-error-handler.ts';
import { type CheckedSignatureHeaders, SIGNATURE_HEADERS, verifyBody } from '../signature/standard-webhooks.ts';
import type { Logger } from '../telemetry/logger.ts';
import { serveMetrics } from '../telemetry/sdk.ts';
import { currentTraceHeaders } from '../telemetry/trace-context.ts';
import { admitRequest, checkWebhookId, payloadTooLarge, signatureProblem } from './admission.ts';
import { configWarnings, type GatewayConfig } from './config.ts';
import { BusPublishError } from '../bus/publish-event.ts';
import type { EventPublisher } from './event-publisher.ts';
import { decideFault, faultSchema, NO_FAULTS, type Faults } from './faults.ts';
import { createGatewayMetrics, type GatewayMetrics, observeGatewayState } from './metrics.ts';
import { clientKey, createClientRateLimiter } from './rate-limiter.ts';
import { requestTelemetry } from '../http/request-telemetry.ts';

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

/** Builds the gateway; logs once each setting that weakens it on purpose (configWarnings). */
export function createApp(deps: GatewayDeps) {
  const { config, publisher, logger } = deps;
  const metrics = deps.metrics ?? createGatewayMetrics();
  const now = deps.now ?? Date.now;
  const limiter = config.rateLimit.enabled ? createClientRateLimiter({ perMinute: config.rateLimit.perMinute, maxClients: config.rateLimit.maxClients, now }) : undefined;
  const random = deps.random ?? Math.random;
  const readRawBody = express.raw({ type: () => true, limit: config.maxBodyBytes });
  const admission = { signatureRequired: config.signature.enabled, toleranceSeconds: config.signature.toleranceSeconds, maxBodyBytes: config.maxBodyBytes };
  let faults: Faults = NO_FAULTS;
  observeGatewayState({ signatureValidationEnabled: config.signature.enabled, faults: () => faults });
  for (const warning of configWarnings(config)) logger.warn({ setting: 'insecure' }, warning);

  const app = express();
  app.disable('x-powered-by');
  // Express would hash every 202 body for an ETag that no webhook sender revalidates.
  app.disable('etag');
  app.use(requestTelemetry());

  app.post(config.endpoint, (req, res) => {
    const startedAt = performance.now();
    let eventType = 'unknown';

    const finish = (outcome: Outcome, status: number, reason?: string, extra?: Record<string, unknown>) => {
      const seconds = (performance.now() - startedAt) / 1000;
      metrics.processingDuration.record(seconds, { event_type: eventType, outcome });
      metrics.received.add(1, reason ? { event_type: eventType, outcome, reason } : { event_type: eventType, outcome });
      const line = { event_id: res.locals.eventId, event_type: eventType, outcome, status, reason, duration_ms: Math.round(seconds * 1000), ...extra };
      if (status >= 500) logger.error(line, 'webhook failed');
      else if (status >= 400) logger.warn(line, 'webhook rejected');
      else logger.info(line, 'webhook accepted');
    };
    const reject = (outcome: Outcome, problem: Problem, headers?: Record<string, string>, logFields?: Record<string, unknown>) => {
      sendProblem(res, problem, headers);
      finish(outcome, problem.status, problem.reason, logFields);
    };

    // Before the body: content type, declared size, signature headers and timestamp window.
    const admitted = admitRequest(req.headers, now(), admission);
    if (!admitted.ok) {
      if (admitted.signatureFailure) metrics.signatureFailures.add(1, { reason: admitted.signatureFailure });
      // Node reads and discards an unread body of acceptable size to keep the connection; a larger
      // or unknown one is not read: the connection closes after the answer.
      return reject(admitted.outcome, admitted.problem, admitted.closeConnection ? { Connection: 'close' } : undefined);
    }

    readRawBody(req, res, (err?: unknown) => {
      if (err) return reject('invalid', bodyReadProblem(err, config.maxBodyBytes));
      void handleWebhook(req, res, admitted.signature).catch((error: unknown) => {
        logger.error({ err: error }, 'unexpected gateway error');
        metrics.errors.add(1, { reason: 'internal' });
        // A bug is still a retryable failure to the sender: the event was not accepted.
        if (!res.headersSent) reject('unavailable', { status: 500, title: 'Internal error', reason: 'internal' });
      });
    });

    async function handleWebhook(req: Request, res: Response, signature: CheckedSignatureHeaders | null) {
      const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (signature) {
        const result = verifyBody(config.signature.keys, signature, body);
        if (!result.ok) {
          metrics.signatureFailures.add(1, { reason: result.reason });
          return reject('unauthorized', signatureProblem(result.reason, result.detail));
        }
      }

      // Only authenticated requests draw on a client's tokens: junk cannot starve a real sender.
      if (limiter) {
        const decision = limiter.take(clientKey(req.socket.remoteAddress, req.get('x-forwarded-for'), config.trustProxy));
        if (!decision.allowed) {
          return reject(
            'rate_limited',
            { status: 429, title: 'Too many requests', reason: 'rate_limited', detail: `Limit is ${config.rateLimit.perMinute} per minute per client.` },
            { 'Retry-After': String(decision.retryAfterSeconds) },
          );
        }
      }

      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        // JSON.parse's message quotes the body around the error: answer and log its size and position instead.
        const malformed = describeMalformedJson(body);
        return reject('invalid', { status: 400, title: 'Malformed JSON', reason: 'malformed_json', detail: malformed.detail }, undefined, malformed.log);
      }

      const validation = validateEvent(parsed);
      if (!validation.ok) {
        const { reason, detail, errors } = validation.failure;
        return reject('invalid', { status: 422, title: 'Invalid event', reason, detail, errors });
      }
      const event = validation.event;
      eventType = event.type;
      res.locals.eventId = event.id;
      const idProblem = checkWebhookId(req.get(SIGNATURE_HEADERS.id), event.id);
      if (idProblem) return reject('invalid', idProblem);
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
    admin.use(requireAdminToken(config.adminToken, (reason) => adminRejected(reason, 401)));
    admin.get('/faults', (_req, res) => {
      res.json(faults);
    });
    admin.put('/faults', express.json(), (req, res) => {
      const parsed = faultSchema.safeParse(req.body ?? {});
      if (!parsed.success) {
        adminRejected('schema_invalid', 422);
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

  // Whatever reaches Express as an error (bad JSON to /admin/faults, a bug) is problem+json.
  app.use(
    problemErrorHandler((problem, err, req) => {
      if (problem.status >= 500) {
        metrics.errors.add(1, { reason: 'internal' });
        logger.error({ err, reason: problem.reason, path: req.path }, 'unexpected gateway error');
      } else if (req.path.startsWith('/admin')) adminRejected(problem.reason, problem.status);
      else logger.warn({ reason: problem.reason, status: problem.status, path: req.path }, 'request rejected');
    }),
  );

  function adminRejected(reason: string, status: number) {
    metrics.adminRejections.add(1, { reason });
    logger.warn({ reason, status }, 'admin request rejected');
  }

  return app;
}

function bodyReadProblem(err: unknown, limit: number): Problem {
  const type = (err as { type?: string }).type;
  // A chunked body has no Content-Length for admission to check: the parser stops it at the limit.
  if (type === 'entity.too.large') return payloadTooLarge(limit);
  return { status: 400, title: 'Unreadable body', reason: 'unreadable_body', detail: (err as Error).message };
}
