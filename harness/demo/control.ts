// The demo's control API (loopback, admin token): lets `npm run drill` kill and restart the demo's
// own processes, which it cannot reach otherwise, and follows one event through them (GET /trace/:id). It starts processes, so each request is checked
// as if a hostile web page sent it: the Host must be loopback (DNS rebinding), the token must match,
// and a restart may add only the environment a drill needs.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { type Problem, sendProblem } from '../../app/http/problem-details.ts';
import { readBody } from '../../app/http/read-body.ts';
import { zodIssuesToErrors } from '../../app/validation/zod-issues.ts';
import { renderTrace, whereIs } from '../trace/render.ts';
import { type TraceSources, traceEvent } from '../trace/trace.ts';

export type ControlInfo = { prometheusUrl: string; alertmanagerUrl: string; publisherUrl: string; gatewayUrl: string; webhookUrl: string };
export const CONTROLLED = ['gateway', 'publisher', 'consumer', 'nats'] as const;
export type Controlled = (typeof CONTROLLED)[number];

/** What the control API can do to a process: a Service or a NatsServer. A Service's url is where its /health names its files. */
export type Controllable = {
  kill(): Promise<void>;
  start(env?: Record<string, string>): Promise<void>;
  isRunning(): boolean;
  url?: string;
};

/**
 * The environment a drill may add when it restarts a service, and the values each key accepts
 * (harness/drill/drills.ts). Anything else is refused: environment is code execution (NODE_OPTIONS).
 */
export const DRILL_ENV: Record<Controlled, Record<string, RegExp>> = {
  gateway: {},
  publisher: {},
  // The slow-consumer drill (WebhookEventLagHigh); at most ~100 s per message.
  consumer: { CONSUMER_HANDLER_DELAY_MS: /^\d{1,5}$/ },
  nats: {},
};

/** A restart request's body; larger ones are refused unread. */
export const MAX_CONTROL_BODY_BYTES = 16 * 1024;

export type ControlRoute = { action: 'info' } | { action: 'kill' | 'start'; service: Controlled } | { action: 'trace'; eventId: string };
export type ControlCheck = { ok: true; route: ControlRoute } | { ok: false; problem: Problem; headers?: Record<string, string> };

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Only the names this server has on loopback. A page on evil.example whose DNS name is rebound to
 * 127.0.0.1 reaches the port, but its requests still say `Host: evil.example`.
 */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  const allowed = names.map((n) => `${n}:${port}`);
  if (port === 80) allowed.push(...names);
  return allowed.includes(host.toLowerCase());
}

/** Everything decided before the body is read: Host, token, route. */
export function checkControlRequest(
  request: { method?: string; url?: string; host?: string; authorization?: string },
  expected: { port: number; token: string },
): ControlCheck {
  if (!isLoopbackHost(request.host, expected.port)) {
    return {
      ok: false,
      problem: {
        status: 421,
        title: 'Not a loopback host',
        reason: 'host_not_loopback',
        detail: `Address the control API as 127.0.0.1:${expected.port}, localhost:${expected.port} or [::1]:${expected.port}.`,
      },
    };
  }
  const header = request.authorization ?? '';
  const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  // Fixed-length digests: neither the token's content nor its length leaks through timing.
  if (!presented || !timingSafeEqual(digest(presented), digest(expected.token))) {
    return {
      ok: false,
      problem: {
        status: 401,
        title: 'Admin token required',
        reason: 'admin_unauthorized',
        detail: "The demo's admin token is in admin-token in its state directory.",
      },
      headers: { 'WWW-Authenticate': 'Bearer' },
    };
  }
  if (request.method === 'GET' && request.url === '/control/info') return { ok: true, route: { action: 'info' } };
  // Event ids are UUIDs; anything id-like is looked up, nothing that could be a path or a query.
  const trace = /^\/trace\/([A-Za-z0-9_-]{1,100})$/.exec(request.url ?? '');
  if (request.method === 'GET' && trace) return { ok: true, route: { action: 'trace', eventId: trace[1]! } };
  const match = /^\/control\/(gateway|publisher|consumer|nats)\/(kill|start)$/.exec(request.url ?? '');
  if (request.method !== 'POST' || !match)
    return {
      ok: false,
      problem: { status: 404, title: 'Not found', reason: 'not_found', detail: `${request.method} ${request.url} does not exist.` },
    };
  return { ok: true, route: { action: match[2] as 'kill' | 'start', service: match[1] as Controlled } };
}

const startBody = z.strictObject({ env: z.record(z.string(), z.string()).optional() });

/** The environment a start request adds, or why it is refused. Nothing has been started either way. */
export function parseStartRequest(
  service: Controlled,
  body: string,
): { ok: true; env: Record<string, string> } | { ok: false; problem: Problem } {
  let json: unknown = {};
  try {
    if (body.trim()) json = JSON.parse(body);
  } catch {
    return { ok: false, problem: { status: 400, title: 'Malformed JSON', reason: 'malformed_json' } };
  }
  const parsed = startBody.safeParse(json);
  if (!parsed.success) {
    const errors = zodIssuesToErrors(parsed.error.issues);
    return {
      ok: false,
      problem: {
        status: 400,
        title: 'Invalid request',
        reason: 'schema_invalid',
        detail: 'The body is {"env": {"NAME": "value"}}.',
        errors,
      },
    };
  }
  const env = parsed.data.env ?? {};
  const allowed = DRILL_ENV[service];
  // Keys as sent: zod drops a "__proto__" key silently, and a refusal must name it.
  const refused = Object.keys((json as { env?: object }).env ?? {}).filter((key) => !Object.hasOwn(allowed, key));
  if (refused.length) {
    const may = Object.keys(allowed).join(', ') || 'nothing';
    return {
      ok: false,
      problem: {
        status: 400,
        title: 'Environment not allowed',
        reason: 'env_not_allowed',
        detail: `${service} may be restarted with ${may}; refused: ${refused.join(', ')}.`,
      },
    };
  }
  const invalid = Object.entries(env).filter(([key, value]) => !allowed[key]!.test(value));
  if (invalid.length) {
    return {
      ok: false,
      problem: {
        status: 400,
        title: 'Environment not allowed',
        reason: 'env_value_invalid',
        detail: invalid.map(([key]) => `${key} must match ${allowed[key]}`).join('; '),
      },
    };
  }
  return { ok: true, env };
}

export async function startControlServer(options: {
  port: number;
  token: string;
  services: Partial<Record<Controlled, Controllable>>;
  info: ControlInfo;
  /**
   * Where GET /trace/:id looks. Unset parts: the publisher and gateway in `info` with this server's
   * token (the demo's one admin token), and the outbox and inbox files their services' /health name.
   */
  trace?: Partial<TraceSources>;
  /** One line per refused request and per action taken. */
  log?: (line: string) => void;
}): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const log = options.log ?? (() => undefined);
  // The port actually bound (port 0 picks one), which the Host header must name.
  const expected = { port: options.port, token: options.token };
  const refuse = (req: IncomingMessage, res: ServerResponse, problem: Problem, headers?: Record<string, string>) => {
    log(
      `control API: refused ${req.method} ${JSON.stringify(req.url)} from Host ${JSON.stringify(req.headers.host ?? '')}: ${problem.status} ${problem.reason}`,
    );
    // Answered without reading the rest of the body; the connection is not reused.
    sendProblem(res, problem, { connection: 'close', ...headers });
  };
  // Learned from the services' /health once, and kept: a drill may have the service down when asked.
  const files: { outboxPath?: string; inboxPath?: string } = {};
  const fileOf = async (service: Controllable | undefined, pick: (health: Record<string, unknown>) => unknown) => {
    if (!service?.url) return undefined;
    try {
      const health = (await (await fetch(`${service.url}/health`, { signal: AbortSignal.timeout(2000) })).json()) as Record<
        string,
        unknown
      >;
      const file = pick(health);
      return typeof file === 'string' ? file : undefined;
    } catch {
      return undefined;
    }
  };
  const traceSources = async (): Promise<TraceSources> => {
    files.outboxPath ??= await fileOf(options.services.publisher, (h) => (h.storeFile as { path?: unknown } | null)?.path);
    files.inboxPath ??= await fileOf(options.services.consumer, (h) => (h.inboxFile as { path?: unknown } | null)?.path);
    return {
      publisherUrl: options.info.publisherUrl || undefined,
      gatewayUrls: options.info.gatewayUrl ? [options.info.gatewayUrl] : [],
      adminToken: options.token,
      ...files,
      ...options.trace,
    };
  };
  const server = createServer(async (req, res) => {
    try {
      const check = checkControlRequest(
        { method: req.method, url: req.url, host: req.headers.host, authorization: req.headers.authorization },
        expected,
      );
      if (!check.ok) return refuse(req, res, check.problem, check.headers);
      const { route } = check;
      if (route.action === 'info') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(options.info));
      if (route.action === 'trace') {
        const trace = await traceEvent(route.eventId, await traceSources());
        const body = { ...trace, where: whereIs(trace), lines: renderTrace(trace) };
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }
      const service = options.services[route.service];
      if (!service)
        return refuse(req, res, { status: 404, title: 'Not found', reason: 'not_found', detail: `This demo runs no ${route.service}.` });
      if (route.action === 'kill') {
        req.resume();
        log(`control API: kill ${route.service}`);
        await service.kill();
        return void res.writeHead(204).end();
      }
      const body = await readBody(req, MAX_CONTROL_BODY_BYTES).then(
        (bytes) => bytes.toString('utf8'),
        (err: { type?: string }) => {
          if (err.type === 'entity.too.large') return undefined;
          throw err;
        },
      );
      if (body === undefined)
        return refuse(req, res, {
          status: 413,
          title: 'Payload too large',
          reason: 'payload_too_large',
          detail: `The body exceeds ${MAX_CONTROL_BODY_BYTES} bytes.`,
        });
      const start = parseStartRequest(route.service, body);
      if (!start.ok) return refuse(req, res, start.problem);
      log(
        `control API: start ${route.service}${
          Object.keys(start.env).length
            ? ` with ${Object.entries(start.env)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ')}`
            : ''
        }`,
      );
      if (service.isRunning()) await service.kill();
      await service.start(start.env);
      res.writeHead(204).end();
    } catch (err) {
      log(`control API: ${req.method} ${req.url} failed: ${(err as Error).message}`);
      if (!res.headersSent)
        sendProblem(res, { status: 500, title: 'Control action failed', reason: 'internal', detail: (err as Error).message });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  expected.port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${expected.port}`, server, close: () => new Promise((r) => server.close(() => r())) };
}
