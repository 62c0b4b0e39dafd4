// `node app/start/warm-compile-cache.mjs`: fills the compile cache (compile-cache.mjs) with every module
// under app/ (the services, their lazily imported parts, the library and the CLIs) without running one,
// so that even a first start skips the TypeScript stripper.
// The image build runs it. ES modules are all loaded and linked before any is evaluated: a graph whose
// first import throws gets every module stripped and cached, and none of them run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { flushCompileCache } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import './compile-cache.mjs';

// The cache is keyed by V8's flags: warm it under the ones the services run with (package.json scripts).
const serviceScript = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).scripts.gateway;
const serviceFlags = serviceScript.split(/\s+/).filter((word) => word.startsWith('--') && word !== '--import');
if (!serviceFlags.every((flag) => process.execArgv.includes(flag))) {
  const run = spawnSync(process.execPath, [...serviceFlags, fileURLToPath(import.meta.url)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

const app = fileURLToPath(new URL('../', import.meta.url));
const modules = readdirSync(app, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
  .map((file) => path.join(app, file));
const directory = mkdtempSync(path.join(tmpdir(), 'warm-compile-cache-'));
const stop = path.join(directory, 'stop.mjs');
const graph = path.join(directory, 'graph.mjs');
writeFileSync(stop, 'throw new Error("warm-up only: nothing runs");\n');
const urls = [stop, ...modules].map((file) => pathToFileURL(file).href);
writeFileSync(graph, urls.map((url) => `import '${url}';\n`).join(''));
try {
  await import(pathToFileURL(graph).href);
} catch (error) {
  if (!String(error?.message).startsWith('warm-up only')) throw error;
} finally {
  flushCompileCache();
  rmSync(directory, { recursive: true, force: true });
}
console.log(`compile cache warmed: ${modules.length} modules under app/, for node ${serviceFlags.join(' ')}`);
