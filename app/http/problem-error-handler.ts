// The last middleware of an app: an error that reaches Express (a body parser refusing a body, a bug
// in a route) is answered as problem+json, never as Express's HTML page with its stack trace.
import type { ErrorRequestHandler, Request } from 'express';
import { type Problem, sendProblem } from './problem-details.ts';

/**
 * What an error means for the client. Body parsers throw 4xx errors with a `type`; anything else is
 * a bug, answered 500. The error's message is never sent: a parser's can quote the body.
 */
export function problemForError(err: unknown): Problem {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { status?: unknown; statusCode?: unknown; type?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status < 400 || status >= 500) return { status: 500, title: 'Internal error', reason: 'internal' };
  switch (e.type) {
    case 'entity.parse.failed':
      return { status: 400, title: 'Malformed JSON', reason: 'malformed_json', detail: 'The body is not valid JSON.' };
    case 'entity.too.large':
      return { status: 413, title: 'Payload too large', reason: 'payload_too_large' };
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return { status: 415, title: 'Unsupported encoding', reason: 'unsupported_media_type' };
    default:
      return { status, title: 'Bad request', reason: 'bad_request' };
  }
}

/** `onError` gets every error with its problem: the app's log line and metric, with the same reason. */
export function problemErrorHandler(onError: (problem: Problem, err: unknown, req: Request) => void): ErrorRequestHandler {
  return (err, req, res, next) => {
    const problem = problemForError(err);
    onError(problem, err, req);
    // Too late for a problem body: let Express end the response.
    if (res.headersSent) return next(err);
    sendProblem(res, problem);
  };
}
