import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

// V8 flags key the cache: the services' own (package.json scripts).
const SERVICE_FLAGS = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).scripts.gateway as string)
  .split(/\s+/)
  .filter((word) => word.startsWith('--') && word !== '--import');

// Whether a service's module graph, imported the way `npm run <service>` starts, loads the TypeScript
// stripper (amaro): it is what costs about 27 MB of idle RSS per service.
function loadsStripper(cacheDirectory: string, entry: string): boolean {
  const script = `import(${JSON.stringify(path.join(REPO_ROOT, entry))}).then(() => console.log(process.moduleLoadList.some((m) => m.includes('amaro'))))`;
  const out = execFileSync(
    process.execPath,
    [...SERVICE_FLAGS, '--import', path.join(REPO_ROOT, 'app/start/compile-cache.mjs'), '-e', script],
    {
      env: { PATH: process.env.PATH ?? '', NODE_COMPILE_CACHE: cacheDirectory },
      encoding: 'utf8',
    },
  );
  return out.trim() === 'true';
}

describe('compile cache', () => {
  const directories: string[] = [];
  const fresh = () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'compile-cache-'));
    directories.push(directory);
    return directory;
  };
  afterEach(() => {
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  it('a cold cache loads the stripper; after the warm-up no service graph does', () => {
    const cache = fresh();
    expect(loadsStripper(cache, 'app/gateway/app.ts')).toBe(true);

    const warm = fresh();
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'app/start/warm-compile-cache.mjs')], {
      env: { PATH: process.env.PATH ?? '', NODE_COMPILE_CACHE: warm },
    });
    for (const entry of [
      'app/gateway/app.ts',
      'app/publisher/index.ts',
      'app/consumer/app.ts',
      'app/telemetry/sdk.ts',
      'app/publisher/store/postgres-outbox.ts',
    ]) {
      expect(loadsStripper(warm, entry), entry).toBe(false);
    }
  });
});
