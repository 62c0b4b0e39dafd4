// Loaded first by every service (`node --import ./app/start/compile-cache.mjs …`, package.json). Node's
// compile cache keeps the type-stripped TypeScript on disk, so a warm start never loads the stripper:
// amaro, a wasm module that stays resident at about 27 MB of RSS per process. Plain JavaScript, so that
// it runs before the first .ts file. NODE_COMPILE_CACHE overrides the directory.
import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';

export const compileCacheDirectory =
  process.env.NODE_COMPILE_CACHE ?? fileURLToPath(new URL('../../node_modules/.cache/node-compile-cache', import.meta.url));

enableCompileCache(compileCacheDirectory);
