// Environment parsing shared by every service: parsed once with zod at start-up, never read again.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { zodIssuesToErrors } from '../validation/zod-issues.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Below this a bearer token can be guessed or was typed by hand; 32 random bytes in base64url are 43. */
export const MIN_TOKEN_LENGTH = 32;
/** Tokens published in this repository's history: anyone who has read it knows them. */
export const KNOWN_PUBLIC_TOKENS: readonly string[] = ['demo-admin-token'];

/** Empty strings count as unset, as they do in most .env files. */
const optionalString = () =>
  z
    .string()
    .trim()
    .min(1)
    .optional()
    .or(z.literal('').transform(() => undefined));

const portNumber = () => z.coerce.number<string | undefined>().int().min(0).max(65535);

export const env = {
  port: (fallback: number) => portNumber().default(fallback),
  /** Unset or empty: undefined. */
  optionalPort: () => optionalString().pipe(portNumber().optional()),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  nonNegativeInt: (fallback: number) => z.coerce.number().int().min(0).default(fallback),
  bool: (fallback: boolean) => z.stringbool().default(fallback),
  optionalString,
  /** An optional bearer token (admin or API). Refused in every mode when short or public: the demo,
   *  the tests and the drills generate random ones, so no setting needs a weak one. */
  bearerToken: () =>
    optionalString().pipe(
      z
        .string()
        .min(MIN_TOKEN_LENGTH, `must be at least ${MIN_TOKEN_LENGTH} characters; generate one with: openssl rand -hex 32`)
        .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it travels in an Authorization header)')
        .refine((token) => !KNOWN_PUBLIC_TOKENS.includes(token), 'is the published demo token; generate a random one')
        .optional(),
    ),
  urlList: () =>
    z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.url()).min(1)),
};

/**
 * Docker and Kubernetes secrets: `<NAME>_FILE` names a file holding the value of `<NAME>`, so the
 * secret stays out of the environment (which `docker inspect` and child processes see). Runs before
 * the zod schema, which then sees `<NAME>` as if it had been set directly.
 */
export function readSecretFiles(
  source: Record<string, string | undefined>,
  names: readonly string[],
  read: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): Record<string, string | undefined> {
  const resolved = { ...source };
  const problems: string[] = [];
  for (const name of names) {
    const file = source[`${name}_FILE`]?.trim();
    if (!file) continue;
    if (source[name]?.trim()) {
      problems.push(`  ${name}: set either ${name} or ${name}_FILE, not both`);
      continue;
    }
    let value: string;
    try {
      // Editors and `echo` end the file with a newline that is not part of the secret.
      value = read(file).replace(/[\r\n]+$/, '');
    } catch (err) {
      problems.push(`  ${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      continue;
    }
    if (!value.trim()) problems.push(`  ${name}_FILE: ${file} is empty`);
    else resolved[name] = value;
  }
  if (problems.length) throw new ConfigError(problems.join('\n'));
  return resolved;
}

export function parseEnv<S extends z.ZodType>(schema: S, source: Record<string, string | undefined>): z.output<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  // Variable names, not pointers: "/NATS_URL" reads worse than NATS_URL in a start-up error.
  const lines = zodIssuesToErrors(result.error.issues).map((e) => `  ${e.path === '/' ? '(env)' : e.path.slice(1)}: ${e.message}`);
  throw new ConfigError(lines.join('\n'));
}

/** For main.ts: a bad value stops start-up with a clear message and exit code 78 (EX_CONFIG). */
export function loadConfigOrExit<T>(service: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${service}: invalid configuration\n${error.message}\n`);
    process.exit(78);
  }
}
