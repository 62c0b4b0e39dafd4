// Creates events through the publisher's API, the way the Buddy System application would. node:http
// with a keep-alive pool: fetch costs the load generator about a third more CPU, which on a 2-core
// machine is taken from the very services under test.
import http from 'node:http';
import type { CreateEventRequest } from './event-factory.ts';

export type CreateResult =
  | { ok: true; id: string; status: number; duplicate: boolean }
  | { ok: false; id: string; status?: number; errorKind: 'http_4xx' | 'http_5xx' | 'timeout' | 'refused' | 'connection' };

/** The publisher's address, and its API token when the stack set one (PUBLISHER_API_TOKEN). */
export type PublisherEndpoint = { url: string; apiToken?: string };

// A pool the size a busy application would keep; calls beyond it wait in the pool, and that wait counts in their latency.
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

export async function createEvent(
  publisher: string | PublisherEndpoint,
  event: CreateEventRequest,
  timeoutMs = 10_000,
): Promise<CreateResult> {
  const first = await postEvent(publisher, event, timeoutMs);
  // A pooled socket the publisher closed as idle just as it was reused: the request most likely
  // never reached it (Node's documented keep-alive race). Sent again once; the event id makes a repeat harmless.
  return first.retryable ? afterResend(first.result, (await postEvent(publisher, event, timeoutMs)).result) : first.result;
}

/**
 * The outcome of a call sent twice. A reset can also mean the publisher took the first try and was
 * killed before answering, so a definite "no" to the second try (refused, 4xx) no longer says the
 * event was not created: only an ok is certain, and anything else stays the first try's "unknown".
 */
export function afterResend(first: CreateResult, second: CreateResult): CreateResult {
  return second.ok ? second : first;
}

type Attempt = { result: CreateResult; retryable?: boolean };

async function postEvent(publisher: string | PublisherEndpoint, event: CreateEventRequest, timeoutMs: number): Promise<Attempt> {
  const { url, apiToken } = typeof publisher === 'string' ? { url: publisher, apiToken: undefined } : publisher;
  const body = JSON.stringify(event);
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (apiToken) headers.authorization = `Bearer ${apiToken}`;
  return await new Promise<Attempt>((done) => {
    const resolve = (result: CreateResult) => done({ result });
    const req = http.request(`${url}/events`, { method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(deadline);
        const status = res.statusCode ?? 0;
        let parsed: { duplicate?: boolean } = {};
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {}
        if (status === 202) resolve({ ok: true, id: event.id, status, duplicate: parsed.duplicate === true });
        else resolve({ ok: false, id: event.id, status, errorKind: status >= 500 ? 'http_5xx' : 'http_4xx' });
      });
    });
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'CLIENT_TIMEOUT' })), timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(deadline);
      // Refused: the request never reached the publisher. Any other connection error leaves it unknown.
      const result: CreateResult = {
        ok: false,
        id: event.id,
        errorKind: err.code === 'CLIENT_TIMEOUT' ? 'timeout' : err.code === 'ECONNREFUSED' ? 'refused' : 'connection',
      };
      done(req.reusedSocket && err.code === 'ECONNRESET' ? { result, retryable: true } : { result });
    });
    req.end(body);
  });
}
