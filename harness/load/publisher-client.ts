// Creates events through the publisher's API, the way the Buddy System application would.
import type { CreateEventRequest } from './event-factory.ts';

export type CreateResult =
  | { ok: true; id: string; status: number; duplicate: boolean }
  | { ok: false; id: string; status?: number; errorKind: 'http_4xx' | 'http_5xx' | 'timeout' | 'refused' | 'connection' };

export async function createEvent(publisherUrl: string, event: CreateEventRequest, timeoutMs = 10_000): Promise<CreateResult> {
  try {
    const res = await fetch(`${publisherUrl}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json().catch(() => ({}))) as { duplicate?: boolean };
    if (res.status === 202) return { ok: true, id: event.id, status: res.status, duplicate: body.duplicate === true };
    return { ok: false, id: event.id, status: res.status, errorKind: res.status >= 500 ? 'http_5xx' : 'http_4xx' };
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, id: event.id, errorKind: 'timeout' };
    // Refused: the request never reached the publisher. Any other connection error leaves it unknown.
    const code = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, id: event.id, errorKind: code === 'ECONNREFUSED' ? 'refused' : 'connection' };
  }
}
