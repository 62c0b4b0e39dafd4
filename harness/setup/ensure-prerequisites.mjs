// First step of `npm run demo` and `npm test`: installs whatever is missing, then gets out of the way.
// It runs before any dependency exists, on the machine's own Node (any version >= 20), so it is
// plain JavaScript using only node: built-ins.
//
//   node harness/setup/ensure-prerequisites.mjs [--for demo|test] [--run SCRIPT [ARGS…]]
//
// --run starts SCRIPT with the pinned Node once everything is installed. The npm script cannot
// simply say `… && node SCRIPT`: its shell looked `node` up before the install and would reuse the
// system Node (20) it found then.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import os from 'node:os';
import { accessSync, constants, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runAt = process.argv.indexOf('--run');
const own = runAt < 0 ? process.argv.slice(2) : process.argv.slice(2, runAt);
const purpose = own.includes('--for') ? own[own.indexOf('--for') + 1] : 'test';

// Debian packages and the binaries that prove each is installed.
const DEBIAN = [
  { pkg: 'nats-server', bins: ['nats-server'], for: ['demo', 'test'] },
  // Generates the CA and the server certificate NATS runs TLS with (app/bus/pki.ts).
  { pkg: 'openssl', bins: ['openssl'], for: ['demo', 'test'] },
  { pkg: 'prometheus', bins: ['prometheus', 'promtool'], for: ['demo', 'test'] },
  { pkg: 'prometheus-alertmanager', bins: ['prometheus-alertmanager', 'amtool'], for: ['demo', 'test'] },
  // Headless browser tests (SLO report, console) drive Debian's Chromium through playwright-core.
  { pkg: 'chromium', bins: ['chromium'], for: ['test'] },
  // Validates compose/docker-compose.yml offline; no Docker engine is needed.
  { pkg: 'docker-compose', bins: ['docker-compose'], for: ['test'] },
  // Tests that need a real PostgreSQL run its server binaries, which Debian keeps off PATH.
  { pkg: 'postgresql', bins: ['initdb', 'postgres'], for: ['test'], dirs: postgresqlBinDirs },
];

function fail(line) {
  process.stderr.write(`\n${line}\n`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  return result.status === 0;
}

function onPath(bin) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    try {
      accessSync(path.join(dir, bin), constants.X_OK);
      return true;
    } catch {}
  }
  // Debian puts some binaries in sbin, which a non-root PATH may lack.
  return ['/usr/sbin', '/sbin'].some((dir) => existsSync(path.join(dir, bin)));
}

function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Debian's bin directory of its newest PostgreSQL major version: /usr/lib/postgresql/<major>/bin. */
function postgresqlBinDirs() {
  const base = '/usr/lib/postgresql';
  let majors = [];
  try {
    majors = readdirSync(base)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
  } catch {}
  return majors.slice(0, 1).map((major) => path.join(base, major, 'bin'));
}

function installed(d) {
  return d.bins.every(onPath) || (d.dirs?.() ?? []).some((dir) => d.bins.every((bin) => executable(path.join(dir, bin))));
}

function checkNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20)
    fail(`Node ${process.versions.node} is too old to bootstrap: install Node 20 or newer (the project then runs on the Node 24 it pins).`);
}

function ensureNpmDependencies() {
  const lock = path.join(root, 'package-lock.json');
  const stampFile = path.join(root, 'node_modules', '.prerequisites-stamp');
  const stamp = createHash('sha256')
    .update(readFileSync(lock))
    .update(readFileSync(path.join(root, 'package.json')))
    .digest('hex');
  const pinnedNode = path.join(root, 'node_modules', '.bin', 'node');
  if (existsSync(pinnedNode) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return;
  process.stdout.write('Installing npm dependencies (npm ci), including the pinned Node 24...\n');
  if (!run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']))
    fail('npm ci failed: check access to the npm registry, then run "npm ci" by hand to see why.');
  if (!existsSync(pinnedNode))
    fail('npm ci did not install the pinned Node (node_modules/.bin/node): run "npm install-scripts approve node && npm ci".');
  writeFileSync(stampFile, stamp);
}

function ensureDebianPackages() {
  const missing = DEBIAN.filter((d) => d.for.includes(purpose) && !installed(d));
  if (missing.length === 0) return;
  const pkgs = missing.map((d) => d.pkg);
  const hint = `sudo apt-get install -y ${pkgs.join(' ')}`;
  if (!existsSync('/usr/bin/apt-get'))
    fail(`Missing ${pkgs.join(', ')} and no apt-get here: install them with your package manager (on Debian/Ubuntu: ${hint}).`);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const canSudo = !isRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!isRoot && !canSudo) fail(`Missing Debian packages ${pkgs.join(', ')}: run "${hint}" and try again.`);
  process.stdout.write(`Installing Debian packages: ${pkgs.join(' ')}...\n`);
  const aptGet = (...args) =>
    isRoot
      ? run('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
      : run('sudo', ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]);
  if (!aptGet('update', '-qq')) fail(`apt-get update failed: run "${hint}" by hand and try again.`);
  if (!aptGet('install', '-y', '-qq', '--no-install-recommends', ...pkgs))
    fail(`apt-get install failed: run "${hint}" by hand and try again.`);
  const still = missing.filter((d) => !installed(d)).map((d) => d.pkg);
  if (still.length) fail(`Installed, but still missing binaries from ${still.join(', ')}: run "${hint}" and check your PATH.`);
}

/** Runs the script with the pinned Node; Ctrl-C reaches it directly (same process group). */
function runWithPinnedNode(args) {
  const child = spawn(path.join(root, 'node_modules', '.bin', 'node'), args, { stdio: 'inherit', cwd: root });
  process.on('SIGINT', () => undefined);
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));
}

checkNode();
ensureNpmDependencies();
ensureDebianPackages();
if (runAt >= 0) runWithPinnedNode(process.argv.slice(runAt + 1));
