// A real Prometheus process on a free loopback port: with scrape targets for the demo and the
// dashboard tests, or over a prepared TSDB (the SLO report's 60-day fixture).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './ports.ts';
import { spawnLogged, terminate, untilReady, type Spawned } from './processes.ts';
import { waitFor } from './wait.ts';

export type Prometheus = { url: string; port: number; stop(): Promise<void> };

export type PrometheusOptions = {
  dir: string;
  port?: number;
  /** An existing TSDB directory (for backfilled history); default: <dir>/data. */
  tsdbPath?: string;
  /** A complete configuration object; default: no scrape targets. */
  config?: object;
  /** Rule files are referenced from the configuration; this only waits until they are loaded. */
  expectRuleGroups?: number;
  /** How often a firing alert is sent to Alertmanager again (Prometheus: 1m); scaled down by fast tests. */
  alertResendDelay?: string;
};

/** Backfilled history is months old and must not be deleted on start-up; it also covers the 30-day SLOs. */
export const PROMETHEUS_RETENTION = '3650d';

export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  mkdirSync(options.dir, { recursive: true });
  const port = options.port ?? (await freePort());
  const configFile = path.join(options.dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(options.config ?? { global: { scrape_interval: '15s', evaluation_interval: '15s' } }));
  const proc: Spawned = spawnLogged(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${options.tsdbPath ?? path.join(options.dir, 'data')}`,
      `--storage.tsdb.retention.time=${PROMETHEUS_RETENTION}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      ...(options.alertResendDelay ? [`--rules.alert.resend-delay=${options.alertResendDelay}`] : []),
    ],
    { logFile: path.join(options.dir, 'prometheus.log') },
  );
  const url = `http://127.0.0.1:${port}`;
  await untilReady(proc, 'prometheus', `${url}/-/ready`, { logFile: path.join(options.dir, 'prometheus.log'), timeoutMs: 60_000 });
  if (options.expectRuleGroups) {
    await waitFor(`${options.expectRuleGroups} rule groups`, async () => {
      const res = await fetch(`${url}/api/v1/rules`);
      const body = (await res.json()) as { data: { groups: unknown[] } };
      return body.data.groups.length >= options.expectRuleGroups!;
    });
  }
  return { url, port, stop: async () => void (await terminate(proc)) };
}
