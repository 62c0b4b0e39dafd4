// Bearer-token guards: admin routes (which do not exist at all unless a token is configured) and the
// publisher's event API (open unless a token is configured).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendProblem } from './problem-details.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

export type BearerRejection = {
  title: string;
  reason: string;
  /** Called before the 401 is sent: the app's metric and log line, with the same reason word. */
  onReject?: (reason: string, req: IncomingMessage) => void;
};

export function requireBearerToken(token: string, rejection: BearerRejection) {
  const expected = digest(token);
  // Plain types: Express middleware, and the guard of the publisher's POST /events, which bypasses Express.
  return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const header = req.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    // Compare fixed-length digests so neither content nor length leaks through timing.
    if (presented && timingSafeEqual(digest(presented), expected)) return next();
    rejection.onReject?.(rejection.reason, req);
    sendProblem(res, { status: 401, title: rejection.title, reason: rejection.reason }, { 'WWW-Authenticate': 'Bearer' });
  };
}

export function requireAdminToken(token: string, onReject?: BearerRejection['onReject']) {
  return requireBearerToken(token, { title: 'Admin token required', reason: 'admin_unauthorized', onReject });
}
