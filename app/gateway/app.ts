// The CSR Platform webhook gateway: validate, verify, publish to JetStream, and only then answer 202.
// What to answer is decided by pure steps (accept-webhook.ts); this file holds the edges: reading
// the body, the rate limiter's state, publishing, and respond(), which writes every answer.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express from 'express';
import type { EventEnvelope } from '../events/envelope.ts';
import { requireAdminToken } from '../http/admin-token.ts';
import { problemErrorHandler } from '../http/problem-error-handler.ts';
import { withPlainRoute } from '../http/plain-route.ts';
import { sendProblem } from '../http/problem-details.ts';
import { header } from '../http/request-header.ts';
import { type BodyError, readBody } from '../http/read-body.ts';
import { inRequestContext, requestTelemetry, routeTelemetry } from '../http/request-telemetry.ts';
import { sendJson } from '../http/send-json.ts';
import { type CheckedSignatureHeaders, SIGNATURE_HEADERS } from '../signature/standard-webhooks.ts';
import type { Logger } from '../telemetry/logger.ts';
import { serveMetrics } from '../telemetry/sdk.ts';
import { authenticateBody, readEvent, unreadableBody } from './accept-webhook.ts';
import { admitRequest } from './admission.ts';
import { configWarnings, type GatewayConfig } from './config.ts';
import type { EventBusWriter } from './event-bus-writer.ts';
import { createFaultSwitch } from './fault-switch.ts';
import { NO_FAULTS } from './faults.ts';
import { createGatewayMetrics, type GatewayMetrics, observeGatewayState } from './metrics.ts';
import { ackBeforePublish, type PublishStep, publishToBus, withFaults } from './publish-step.ts';
import { clientKey, createClientRateLimiter, tooManyRequests } from './rate-limiter.ts';
import { createRecentOutcomes, describeOutcome, type RecentOutcomes, recordKey } from './recent-outcomes.ts';
import { type Outcome, rejection, type WebhookRejection, type WebhookResult } from './webhook-result.ts';

export type GatewayDeps = {
  config: GatewayConfig;
  /** Writes accepted events to JetStream (event-bus-writer.ts). */
  busWriter: EventBusWriter;
  logger: Logger;
  metrics?: GatewayMetrics;
  now?: () => number;
  random?: () => number;
  /** The answers GET /admin/events/:id looks up (kept only with an admin token); bounded by default. */
  recentOutcomes?: RecentOutcomes;
};

/** What every answer is counted and logged by. */
type Answered = { outcome: Outcome; status: number; reason?: string; log?: Record<string, unknown> };

/**
 * Builds the gateway; logs once each setting that weakens it on purpose (configWarnings). The webhook
 * route is served with node:http (plain-route.ts says why), everything else by Express.
 */
export function createApp(deps: GatewayDeps): RequestListener {
  const { config, busWriter, logger } = deps;
  const metrics = deps.metrics ?? createGatewayMetrics();
  const now = deps.now ?? Date.now;
  const { perMinute, maxClients } = config.rateLimit;
  const limiter = config.rateLimit.enabled ? createClientRateLimiter({ perMinute, maxClients, now }) : undefined;
  const { enabled: signatureRequired, toleranceSeconds, keys } = config.signature;
  const policy = { signatureRequired, toleranceSeconds, keys, maxBodyBytes: config.maxBodyBytes };
  // Faults can only be switched on through /admin, which exists only with a token; so does the
  // record of recent answers, which only /admin reads.
  const { adminToken } = config;
  const faultSwitch = adminToken ? createFaultSwitch({ logger, onRejected: adminRejected }) : undefined;
  const recent = adminToken ? (deps.recentOutcomes ?? createRecentOutcomes()) : undefined;
  observeGatewayState({ signatureValidationEnabled: signatureRequired, faults: faultSwitch?.current ?? (() => NO_FAULTS) });
  for (const warning of configWarnings(config)) logger.warn({ setting: 'insecure' }, warning);

  // Composed once: the request path does not ask which ack mode or whether a drill is on.
  let publish: PublishStep = publishToBus(busWriter);
  if (config.ackMode === 'before-publish') {
    publish = ackBeforePublish(publish, (event, reason, error) => {
      metrics.busPublishErrors.add(1, { reason });
      logger.error({ event_id: event.id, err: error }, 'publish after 202 failed: the event is lost');
    });
  }
  if (faultSwitch) publish = withFaults(publish, faultSwitch.current, deps.random ?? Math.random);

  const app = express();
  app.disable('x-powered-by');
  // Express would hash every 202 body for an ETag that no webhook sender revalidates.
  app.disable('etag');
  app.use(requestTelemetry());

  const webhookTelemetry = routeTelemetry(config.endpoint);
  // acceptWebhook's steps with the edges between them: the body is read only once the headers pass,
  // and a rate-limit token is taken only once the body is authenticated (junk never spends a real
  // sender's tokens, issue 17) and before any JSON is parsed (a sender over its limit costs no parse).
  function receiveWebhook(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    const failed = (error: unknown) => {
      if (!res.headersSent) respond(res, startedAt, internalError(error));
    };
    try {
      const admitted = admitRequest(req.headers, now(), policy);
      if (admitted.kind === 'reject') respond(res, startedAt, admitted);
      else
        readBody(req, config.maxBodyBytes).then(
          (body) =>
            inRequestContext(res, () => afterBody(req, body, admitted.signature)).then((result) => respond(res, startedAt, result), failed),
          (err: BodyError) => respond(res, startedAt, unreadableBody(err, config.maxBodyBytes)),
        );
    } catch (error) {
      failed(error);
    }
  }

  async function afterBody(req: IncomingMessage, body: Buffer, signature: CheckedSignatureHeaders | null): Promise<WebhookResult> {
    const refused = authenticateBody(signature, body, policy);
    if (refused) return refused;
    const decision = limiter?.take(clientKey(req.socket.remoteAddress, header(req.headers, 'x-forwarded-for'), config.trustProxy));
    if (decision && !decision.allowed) return tooManyRequests(decision.retryAfterSeconds, perMinute);
    const accepted = readEvent(body, header(req.headers, SIGNATURE_HEADERS.id));
    if (accepted.kind === 'reject') return accepted;
    const { event } = accepted;
    metrics.eventLag.record(Math.max(0, (now() - Date.parse(event.occurredAt)) / 1000), { event_type: event.type });
    return publish(accepted).catch((error: unknown) => internalError(error, event));
  }

  // A bug is still a retryable failure to the sender: the event was not accepted.
  function internalError(error: unknown, event?: EventEnvelope): WebhookRejection {
    logger.error({ err: error }, 'unexpected gateway error');
    const problem = { status: 500, title: 'Internal error', reason: 'internal' };
    return rejection('unavailable', problem, event ? { event: { id: event.id, type: event.type } } : {});
  }

  /** The one place that answers a webhook: the response, the metrics and the log line, all from the result's reason. */
  function respond(res: ServerResponse, startedAt: number, result: WebhookResult): void {
    const answered = answer(res, result);
    const { outcome, status, reason, log } = answered;
    if (recent) {
      const key = recordKey(result.event?.id, header(res.req.headers, SIGNATURE_HEADERS.id));
      if (key !== undefined) recent.record(key, now(), answered, result);
    }
    const eventType = result.event?.type ?? 'unknown';
    const seconds = (performance.now() - startedAt) / 1000;
    metrics.processingDuration.record(seconds, { event_type: eventType, outcome });
    metrics.received.add(1, reason ? { event_type: eventType, outcome, reason } : { event_type: eventType, outcome });
    const durationMs = Math.round(seconds * 1000);
    const line = { event_id: result.event?.id, event_type: eventType, outcome, status, reason, duration_ms: durationMs, ...log };
    if (status >= 500) logger.error(line, 'webhook failed');
    else if (status >= 400) logger.warn(line, 'webhook rejected');
    // Each accepted event is counted and traced; a line each at info would be about 0.8 MB a minute
    // at 50 events/s, drowning the rejections and failures operators read logs for.
    else logger.debug(line, 'webhook accepted');
  }

  /** Writes the response and counts what only some results have; returns what the common metric and log line need. */
  function answer(res: ServerResponse, result: WebhookResult): Answered {
    if (result.kind === 'published') {
      sendJson(res, 202, { id: result.event.id, status: 'accepted', duplicate: result.duplicate, sequence: result.sequence });
      return { outcome: result.duplicate ? 'duplicate' : 'accepted', status: 202 };
    }
    if (result.signatureFailure) metrics.signatureFailures.add(1, { reason: result.signatureFailure });
    if (result.bus) {
      metrics.busPublishErrors.add(1, { reason: result.bus.reason });
      logger.warn({ event_id: result.event?.id, bus_reason: result.bus.reason, err: result.bus.error }, 'publish to JetStream failed');
    }
    if (result.problem.status >= 500) metrics.errors.add(1, { reason: result.reason });
    // Node reads and discards an unread body of acceptable size to keep the connection; a larger or
    // unknown one is not read: the connection closes after the answer.
    sendProblem(res, result.problem, result.closeConnection ? { ...result.headers, Connection: 'close' } : result.headers);
    return { outcome: result.outcome, status: result.problem.status, reason: result.reason, log: result.log };
  }

  app.all(config.endpoint, (_req, res) => {
    sendProblem(res, { status: 405, title: 'Method not allowed', reason: 'method_not_allowed' }, { Allow: 'POST' });
  });

  app.get('/health/webhook', (_req, res) => {
    res.json({ status: 'ok', endpoint: config.endpoint });
  });

  app.get('/health/all', async (_req, res) => {
    const stream = await busWriter.streamHealth();
    res.status(stream.ok ? 200 : 503).json({
      status: stream.ok ? 'ok' : 'degraded',
      checks: { webhook: { ok: true }, nats: stream },
    });
  });

  // With a metrics port of its own (main.ts listens there), /metrics here is a 404 like any unknown path.
  if (config.metricsPort === undefined) app.get('/metrics', (req, res) => serveMetrics(req, res));

  if (adminToken && faultSwitch && recent) {
    const admin = express.Router();
    admin.use(requireAdminToken(adminToken, (reason) => adminRejected(reason, 401)));
    admin.use(faultSwitch.router);
    // What this gateway last answered for an event: npm run trace follows an event with it.
    admin.get('/events/:id', (req, res) => {
      const record = recent.get(req.params.id);
      if (!record) {
        const detail = `This gateway answered nothing for ${req.params.id} among the last ${recent.capacity} it keeps (kept in memory since it started).`;
        return sendProblem(res, { status: 404, title: 'Event unknown', reason: 'event_unknown', detail });
      }
      res.json(describeOutcome(req.params.id, record, config.nats.subjectPrefix));
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

  const handle = (req: IncomingMessage, res: ServerResponse) => webhookTelemetry(req, res, () => receiveWebhook(req, res));
  return withPlainRoute({ method: 'POST', path: config.endpoint, handle }, app);
}
