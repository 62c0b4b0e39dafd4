// What a drill acts on: the running demo (through its control API) or a stack the drill starts
// itself, optionally with the scaled-down rule set.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadRuleFile } from '../../observability/load-rule-files.ts';
import type { Controlled, ControlInfo } from '../demo/control.ts';
import { adminTokenFile } from '../demo/options.ts';
import { buddyEvent } from '../load/event-factory.ts';
import { runOpenModel } from '../load/open-model.ts';
import { createEvent } from '../load/publisher-client.ts';
import { startObservedStack } from '../stack/observed-stack.ts';
import { randomToken, readTokenFile } from '../stack/token-file.ts';
import { scaleDuration, scaleRuleFile } from './scale-rules.ts';

export type DrillTarget = ControlInfo & {
  adminToken: string;
  /** 1 for the real rules; N when the drill runs the rule set scaled down N times. */
  timeScale: number;
  kill(service: Controlled): Promise<void>;
  start(service: Controlled, env?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
};

/** The demo running from `stateDir`, through its control API; undefined when none answers there. */
export async function connectToDemo(controlUrl: string, stateDir: string): Promise<DrillTarget | undefined> {
  // The demo's token lives in its state directory, never on a command line (harness/demo/options.ts).
  const tokenFile = adminTokenFile(stateDir);
  if (!existsSync(tokenFile)) return undefined;
  const adminToken = readTokenFile(tokenFile);
  const headers = { authorization: `Bearer ${adminToken}` };
  let info: ControlInfo;
  try {
    const res = await fetch(`${controlUrl}/control/info`, { headers, signal: AbortSignal.timeout(2000) });
    if (!res.ok) return undefined;
    info = (await res.json()) as ControlInfo;
  } catch {
    return undefined;
  }
  const call = async (service: Controlled, action: 'kill' | 'start', env?: Record<string, string>) => {
    const res = await fetch(`${controlUrl}/control/${service}/${action}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ env }),
    });
    if (!res.ok) throw new Error(`demo control: ${action} ${service} answered ${res.status}: ${await res.text()}`);
  };
  return {
    ...info,
    adminToken,
    timeScale: 1,
    kill: (s) => call(s, 'kill'),
    start: (s, env) => call(s, 'start', env),
    close: async () => undefined,
  };
}

/** A private stack for drills, under a steady load of `rate` events/s. */
export async function startDrillStack(options: { timeScale: number; rate?: number; dir?: string }): Promise<DrillTarget> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'drill-'));
  const adminToken = randomToken();
  const scale = options.timeScale;
  let ruleFiles: string[] | undefined;
  if (scale > 1) {
    // Only the hand-written alerts, scaled: the SLO windows (days) have nothing to say in a few minutes.
    const scaled = scaleRuleFile(loadRuleFile('alerts/event-bus.rules.yml'), scale);
    mkdirSync(dir, { recursive: true });
    ruleFiles = [path.join(dir, 'event-bus.scaled.rules.yml')];
    writeFileSync(ruleFiles[0]!, stringify({ groups: scaled.groups }, { lineWidth: 0 }));
  }
  const interval = scale > 1 ? scaleDuration('10s', scale) : '10s';
  const observed = await startObservedStack({
    dir,
    signingSecret: `whsec_${randomBytes(32).toString('base64')}`,
    gatewayEnv: { GATEWAY_ADMIN_TOKEN: adminToken },
    publisherEnv: { PUBLISHER_ADMIN_TOKEN: adminToken },
    scrapeInterval: interval,
    evaluationInterval: interval,
    ruleFiles,
  });
  const { stack, prometheus, alertmanager } = observed;
  const abort = new AbortController();
  const load = runOpenModel({
    stages: [{ ratePerSecond: options.rate ?? 20, durationMs: 24 * 3600 * 1000 }],
    maxInFlight: 500,
    signal: abort.signal,
    iteration: (i) => createEvent(stack.publisher, buddyEvent(i)),
  });
  const service = (name: Controlled) => (name === 'nats' ? stack.nats : stack[name]);
  return {
    prometheusUrl: prometheus.url,
    alertmanagerUrl: alertmanager.url,
    publisherUrl: stack.publisher.url,
    gatewayUrl: stack.gateway.url,
    webhookUrl: stack.webhookUrl,
    adminToken,
    timeScale: scale,
    kill: (name) => service(name).kill(),
    start: async (name, env) => {
      const s = service(name);
      if (s.isRunning()) await s.kill();
      await (s.start as (env?: Record<string, string>) => Promise<void>)(env);
    },
    close: async () => {
      abort.abort();
      await load;
      await observed.stop();
    },
  };
}
