// The Prometheus configuration for a stack on this machine: our three jobs, the rule files the
// project ships (the same files compose mounts), and the Alertmanager to send alerts to.
import path from 'node:path';
import { JOBS } from '../../observability/conventions.ts';
import { ruleFilePaths } from '../../observability/load-rule-files.ts';
import { REPO_ROOT } from './service.ts';

export type LocalTargets = { gateway: string[]; publisher: string[]; consumer: string[] };

const hostPort = (url: string) => new URL(url).host;

export function localPrometheusConfig(options: {
  targets: LocalTargets;
  alertmanagerUrl?: string;
  scrapeInterval?: string;
  evaluationInterval?: string;
  ruleFiles?: string[];
}) {
  const scrape = (job: string, urls: string[]) => ({ job_name: job, static_configs: [{ targets: urls.map(hostPort) }] });
  return {
    global: { scrape_interval: options.scrapeInterval ?? '15s', evaluation_interval: options.evaluationInterval ?? '15s' },
    rule_files: options.ruleFiles ?? ruleFilePaths().map((p) => path.join(REPO_ROOT, p)),
    ...(options.alertmanagerUrl
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [hostPort(options.alertmanagerUrl)] }] }] } }
      : {}),
    scrape_configs: [
      scrape(JOBS.gateway, options.targets.gateway),
      scrape(JOBS.publisher, options.targets.publisher),
      scrape(JOBS.consumer, options.targets.consumer),
    ],
  };
}
