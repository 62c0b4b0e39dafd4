// Zod issues as the `errors` of a problem+json body ({ path, message }), for every schema we
// check: event envelopes, API requests, the admin routes and the environment.
import type { z } from 'zod';

export type FieldError = { path: string; message: string };

/** RFC 6901 JSON Pointer of an issue's path: "/" for the document itself, "/data/rating" below it. */
export function jsonPointer(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '/';
  return path.map((key) => `/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** `prefix`: where the checked value sits in the document (['data'] for an event's data). */
export function zodIssuesToErrors(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): FieldError[] {
  return issues.map((issue) => {
    // A strict object's extra keys are reported at the object: name them, or the path says nothing.
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    return { path: jsonPointer([...prefix, ...issue.path]), message: issue.message + keys };
  });
}
