// Bearer-token guard for admin routes. The routes do not exist at all unless a token is configured.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sendProblem } from './problem-details.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function requireAdminToken(token: string) {
  const expected = digest(token);
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    // Compare fixed-length digests so neither content nor length leaks through timing.
    if (presented && timingSafeEqual(digest(presented), expected)) return next();
    sendProblem(res, { status: 401, title: 'Admin token required', reason: 'admin_unauthorized' }, { 'WWW-Authenticate': 'Bearer' });
  };
}
