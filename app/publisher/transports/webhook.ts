// The webhook transport: sign, POST with a timeout, and report what happened, failing over between
// gateway replicas (gateway-rotation.ts).
import type { KeyObject } from 'node:crypto';
import { signatureHeaders } from '../../signature/standard-webhooks.ts';
import type { AttemptResult } from '../retry-policy.ts';
import type { Transport } from '../transport.ts';
import { createGatewayRotation } from './gateway-rotation.ts';

export type WebhookRequest = {
  url: string;
  eventId: string;
  body: string;
  keys: readonly KeyObject[];
  timeoutMs: number;
  nowSeconds: number;
};

export async function sendWebhook(request: WebhookRequest): Promise<AttemptResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  // Re-signed on every attempt: the timestamp must be fresh for the gateway's 5-minute window,
  // while webhook-id stays the event id so the gateway can deduplicate.
  if (request.keys.length > 0) Object.assign(headers, signatureHeaders(request.keys, request.eventId, request.nowSeconds, request.body));
  else headers['webhook-id'] = request.eventId;
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers,
      body: request.body,
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    // Drain the body so the keep-alive connection goes back to the pool.
    await response.arrayBuffer().catch(() => undefined);
    return { kind: 'response', status: response.status, retryAfter: response.headers.get('retry-after') };
  } catch (err) {
    const name = (err as Error | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout' };
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { kind: 'connection', message: cause?.code ?? cause?.message ?? (err as Error).message };
  }
}

export type WebhookTransportOptions = {
  /** One URL, or several gateway replicas to fail over between. */
  urls: readonly string[];
  /** Standard Webhooks keys (`parseSecrets`); none sends unsigned requests. */
  keys: readonly KeyObject[];
  timeoutMs: number;
  now?: () => number;
};

export function webhookTransport(options: WebhookTransportOptions): Transport {
  const gateways = createGatewayRotation(options.urls);
  const now = options.now ?? Date.now;
  return {
    name: 'webhook',
    async send(row, attempt) {
      const url = gateways.urlFor(attempt);
      const result = await sendWebhook({ url, eventId: row.id, body: row.body, keys: options.keys, timeoutMs: options.timeoutMs, nowSeconds: Math.floor(now() / 1000) });
      if (result.kind !== 'response' || result.status >= 500) gateways.reportFailure(url);
      return result;
    },
  };
}
