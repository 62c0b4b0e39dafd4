// RFC 9457 problem+json: every rejection names its reason, which is also the metric label and log field.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendBody } from './send-json.ts';

export type Problem = {
  status: number;
  title: string;
  reason: string;
  detail?: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemType(reason: string): string {
  return `urn:webhook-event-bus:problem:${reason}`;
}

/** Writes a problem on an Express response or a plain one alike: the routes that bypass Express answer the same way. */
export function sendProblem(res: ServerResponse, problem: Problem, headers: Record<string, string> = {}): void {
  const { status, title, reason, ...rest } = problem;
  // Express's originalUrl: the path as requested, also inside a mounted router (/admin/...).
  const req = res.req as IncomingMessage & { originalUrl?: string };
  const body = JSON.stringify({ type: problemType(reason), title, status, reason, instance: req.originalUrl ?? req.url, ...rest });
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  sendBody(res, status, `${PROBLEM_CONTENT_TYPE}; charset=utf-8`, body);
}
