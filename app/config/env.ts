// Environment parsing shared by every service: parsed once with zod at start-up, never read again.
import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  nonNegativeInt: (fallback: number) => z.coerce.number().int().min(0).default(fallback),
  bool: (fallback: boolean) => z.stringbool().default(fallback),
  /** Empty strings count as unset, as they do in most .env files. */
  optionalString: () => z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  urlList: () =>
    z
      .string()
      .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(z.url()).min(1)),
};

export function parseEnv<S extends z.ZodType>(schema: S, source: Record<string, string | undefined>): z.output<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
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
