// Where `npm run trace` (and `npm run send`) find the demo: its state directory (.demo unless told),
// the files in it, its admin token, and its ports from the demo's own defaults (harness/demo/options.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { adminTokenFile, parseDemoOptions } from '../demo/options.ts';
import { readTokenFile } from '../stack/token-file.ts';
import type { TraceSources } from './trace.ts';

export type FileChoice = { path: string; from: string };

/**
 * A file a CLI reads: the flag, then the variable the service itself reads, then the demo's when it
 * exists (run from the repository, after `npm run demo`), then the service's default.
 */
export function chooseFile(
  flag: { name: string; value?: string },
  env: { name: string; value?: string },
  demo: { path: string; exists: boolean },
  fallback: string,
): FileChoice {
  if (flag.value) return { path: flag.value, from: flag.name };
  if (env.value) return { path: env.value, from: env.name };
  if (demo.exists) return { path: demo.path, from: "the demo's state directory" };
  return { path: fallback, from: 'the default' };
}

export type DemoFlags = {
  'state-dir'?: string;
  topology?: string;
  'publisher-port'?: string;
  'gateway-port'?: string;
};

/** The demo as its defaults (or the same flags as `npm run demo`) place it. */
export function locateDemo(flags: DemoFlags) {
  const argv = Object.entries(flags).flatMap(([name, value]) => (value === undefined ? [] : [`--${name}`, value]));
  const options = parseDemoOptions(argv);
  if (options === 'help') throw new Error('unreachable: no --help is passed on');
  return {
    stateDir: options.stateDir,
    publisherUrl: `http://127.0.0.1:${options.ports.publisher}`,
    gatewayUrls: options.ports.gateway.map((port) => `http://127.0.0.1:${port}`),
    tokenFile: adminTokenFile(options.stateDir),
  };
}

/** The admin token: $ADMIN_TOKEN (as the docs' curl lines name it), else the demo's token file. */
export function readAdminToken(env: Record<string, string | undefined>, tokenFile: string): { token?: string; from: string } {
  if (env.ADMIN_TOKEN) return { token: env.ADMIN_TOKEN, from: 'ADMIN_TOKEN' };
  if (!existsSync(tokenFile)) return { from: `nowhere: no ${tokenFile}` };
  return { token: readTokenFile(tokenFile), from: tokenFile };
}

/** Everything `npm run trace` reads, and a line per file saying which was used. */
export function traceSources(
  flags: DemoFlags & { outbox?: string; inbox?: string },
  env: Record<string, string | undefined>,
  exists: (file: string) => boolean = existsSync,
): { sources: TraceSources; notes: string[] } {
  const demo = locateDemo(flags);
  const demoFile = (...parts: string[]) => {
    const file = path.join(demo.stateDir, ...parts);
    return { path: file, exists: exists(file) };
  };
  const outbox = chooseFile(
    { name: '--outbox', value: flags.outbox },
    { name: 'PUBLISHER_OUTBOX_PATH', value: env.PUBLISHER_OUTBOX_PATH },
    demoFile('publisher', 'outbox.sqlite'),
    'data/publisher/outbox.sqlite',
  );
  const inbox = chooseFile(
    { name: '--inbox', value: flags.inbox },
    { name: 'CONSUMER_DB_PATH', value: env.CONSUMER_DB_PATH },
    demoFile('consumer', 'inbox.sqlite'),
    'data/consumer/inbox.sqlite',
  );
  const admin = readAdminToken(env, demo.tokenFile);
  const shown = (file: string) => path.relative(process.cwd(), file) || file;
  return {
    sources: {
      publisherUrl: demo.publisherUrl,
      gatewayUrls: demo.gatewayUrls,
      adminToken: admin.token,
      outboxPath: outbox.path,
      inboxPath: inbox.path,
    },
    notes: [
      `outbox: ${shown(outbox.path)} (from ${outbox.from})`,
      `inbox: ${shown(inbox.path)} (from ${inbox.from})`,
      `admin token: from ${admin.from === demo.tokenFile ? shown(admin.from) : admin.from}`,
    ],
  };
}
