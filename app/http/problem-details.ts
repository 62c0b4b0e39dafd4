// RFC 9457 problem+json: every rejection names its reason, which is also the metric label and log field.
import type { Response } from 'express';

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

export function sendProblem(res: Response, problem: Problem, headers: Record<string, string> = {}): void {
  const { status, title, reason, ...rest } = problem;
  res.status(status).set(headers).type(PROBLEM_CONTENT_TYPE);
  res.send(JSON.stringify({ type: problemType(reason), title, status, reason, instance: res.req.originalUrl, ...rest }));
}
