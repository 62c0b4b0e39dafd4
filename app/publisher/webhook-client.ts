// One webhook delivery attempt: sign, POST with a timeout, and report what happened.
import type { KeyObject } from 'node:crypto';
import { signatureHeaders } from '../signature/standard-webhooks.ts';
import type { AttemptResult } from './retry-policy.ts';

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
