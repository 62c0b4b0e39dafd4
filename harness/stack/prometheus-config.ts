// The Prometheus configuration for a stack on this machine: our three jobs, Prometheus and
// Alertmanager scraping themselves (meta-monitoring), the rule files the project ships (the same
// files compose mounts), and the Alertmanager to send alerts to.
import path from 'node:path';
import { JOBS } from '../../observability/conventions.ts';
import { ruleFilePaths } from '../../observability/load-rule-files.ts';
import { REPO_ROOT } from './service.ts';

export type LocalTargets = { gateway: string[]; publisher: string[]; consumer: string[] };

const hostPort = (url: string) => new URL(url).host;

export function localPrometheusConfig(options: {
  targets: LocalTargets;
  alertmanagerUrl?: string;
  /** Prometheus' own address, so it scrapes itself (job `prometheus`). */
  prometheusUrl?: string;
  /** Alertmanager's inhibit rules match on these (`equal: [environment, cluster]`). */
  externalLabels?: { environment: string; cluster: string };
  scrapeInterval?: string;
  evaluationInterval?: string;
  ruleFiles?: string[];
}) {
  const scrape = (job: string, urls: string[]) => ({ job_name: job, static_configs: [{ targets: urls.map(hostPort) }] });
  return {
    global: {
      // Production's intervals (compose/prometheus/prometheus.yml): the 60 s page budget rests on them.
      scrape_interval: options.scrapeInterval ?? '10s',
      evaluation_interval: options.evaluationInterval ?? '10s',
      external_labels: options.externalLabels ?? { environment: 'local', cluster: 'local' },
    },
    rule_files: options.ruleFiles ?? ruleFilePaths().map((p) => path.join(REPO_ROOT, p)),
    ...(options.alertmanagerUrl
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [hostPort(options.alertmanagerUrl)] }] }] } }
      : {}),
    scrape_configs: [
      scrape(JOBS.gateway, options.targets.gateway),
      scrape(JOBS.publisher, options.targets.publisher),
      scrape(JOBS.consumer, options.targets.consumer),
      ...(options.prometheusUrl ? [scrape('prometheus', [options.prometheusUrl])] : []),
      ...(options.alertmanagerUrl ? [scrape('alertmanager', [options.alertmanagerUrl])] : []),
    ],
  };
}
