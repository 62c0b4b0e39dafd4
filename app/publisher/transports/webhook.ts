// The webhook transport: sign, POST with a timeout, and report what happened, failing over between
// gateway replicas (gateway-rotation.ts).
import type { KeyObject } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { signatureHeaders } from '../../signature/standard-webhooks.ts';
import { currentTraceHeaders } from '../../telemetry/trace-context.ts';
import { observedGauge } from '../../telemetry/instruments.ts';
import { createLogger, type Logger } from '../../telemetry/logger.ts';
import { METRICS } from '../../telemetry/metric-catalog.ts';
import type { AttemptResult } from '../retry-policy.ts';
import type { Transport } from '../transport.ts';
import { createGatewayRotation } from './gateway-rotation.ts';
import { keepAliveHttp } from './keep-alive-http.ts';

export type WebhookRequest = {
  url: string;
  eventId: string;
  body: string;
  keys: readonly KeyObject[];
  timeoutMs: number;
  nowSeconds: number;
};

// Plain http (the gateway on the same host or network) goes through our own keep-alive pool:
// node:http's client was close to a third of the publisher's CPU per event (keep-alive-http.ts). https, and
// a URL with credentials in it, go through node:https and node:http with keep-alive agents, which
// cost a third of what fetch did (npm run bench).
const plainHttp = keepAliveHttp({ maxSockets: 512 });
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 512 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 512 }),
};

// A transport sends to the same few gateway URLs all its life: each is parsed once.
const parsedUrls = new Map<string, URL>();
const parseUrl = (text: string): URL => {
  let url = parsedUrls.get(text);
  if (!url) {
    url = new URL(text);
    if (parsedUrls.size < 64) parsedUrls.set(text, url);
  }
  return url;
};

export async function sendWebhook(request: WebhookRequest): Promise<AttemptResult> {
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(request.body),
  };
  // Re-signed on every attempt: the timestamp must be fresh for the gateway's 5-minute window,
  // while webhook-id stays the event id so the gateway can deduplicate.
  if (request.keys.length > 0) Object.assign(headers, signatureHeaders(request.keys, request.eventId, request.nowSeconds, request.body));
  else headers['webhook-id'] = request.eventId;
  Object.assign(headers, currentTraceHeaders());
  const url = parseUrl(request.url);
  if (url.protocol === 'http:' && !url.username && !url.password)
    return await plainHttp.post({ url, headers: Object.entries(headers), body: request.body, timeoutMs: request.timeoutMs });
  const client = url.protocol === 'https:' ? https : http;
  return await new Promise<AttemptResult>((resolve) => {
    const req = client.request(
      url,
      { method: 'POST', headers, agent: agents[url.protocol as 'http:' | 'https:'], timeout: request.timeoutMs },
      (res) => {
        // Drain the body so the keep-alive connection goes back to the pool.
        res.resume();
        res.on('end', () =>
          resolve({
            kind: 'response',
            status: res.statusCode ?? 0,
            retryAfter: (res.headers['retry-after'] as string | undefined) ?? null,
          }),
        );
        res.on('error', (err) => resolve({ kind: 'connection', message: err.message }));
      },
    );
    // `timeout` only covers idle sockets; the whole exchange gets the same bound.
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT_TOTAL' })), request.timeoutMs);
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT_TOTAL' })));
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ETIMEDOUT_TOTAL' ? { kind: 'timeout' } : { kind: 'connection', message: err.code ?? err.message }),
    );
    req.on('close', () => clearTimeout(deadline));
    req.end(request.body);
  });
}

export type WebhookTransportOptions = {
  /** One URL, or several gateway replicas to fail over between. */
  urls: readonly string[];
  /** Standard Webhooks keys (`parseSecrets`); none sends unsigned requests. */
  keys: readonly KeyObject[];
  timeoutMs: number;
  now?: () => number;
  /** Where the one warning about unsigned requests goes. */
  logger?: Logger;
};

export const UNSIGNED_WARNING =
  'no signing secret (CSR_WEBHOOK_SECRET): webhooks go out unsigned, and a gateway that validates signatures (its default) rejects every one';

// The process's webhook transports, for the signing gauge: 0 as soon as one of them sends unsigned.
const signingOf = { transports: 0, unsigned: 0, observed: false };

/** Created once per start: says once, and as a gauge for as long as it runs, whether requests are signed. */
export function webhookTransport(options: WebhookTransportOptions): Transport {
  const gateways = createGatewayRotation(options.urls);
  const now = options.now ?? Date.now;
  const signing = options.keys.length > 0;
  signingOf.transports++;
  if (!signing) signingOf.unsigned++;
  if (!signingOf.observed) {
    signingOf.observed = true;
    observedGauge(METRICS.publisherSigningEnabled, () => [[{}, signingOf.unsigned === 0 ? 1 : 0]]);
  }
  if (!signing) (options.logger ?? createLogger('publisher')).warn({ setting: 'insecure' }, UNSIGNED_WARNING);
  return {
    path: 'webhook',
    async send(row, attempt) {
      const url = gateways.urlFor(attempt);
      const result = await sendWebhook({
        url,
        eventId: row.id,
        body: row.body,
        keys: options.keys,
        timeoutMs: options.timeoutMs,
        nowSeconds: Math.floor(now() / 1000),
      });
      if (result.kind !== 'response' || result.status >= 500) gateways.reportFailure(url);
      return result;
    },
  };
}
