// prometheus-operator resources from the files the local stack loads: the rule files (alerts/,
// slo/), alertmanager/alertmanager.yml and the generated dashboards. Nothing is copied by hand.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { AlertmanagerConfig } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/AlertmanagerConfig';
import type { IMatcher } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/Matcher';
import type { IReceiver } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/Receiver';
import type { IRoute } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/Route';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { parse } from 'yaml';
import { DASHBOARD_FILES } from '../../dashboards/catalog.ts';
import { DASHBOARD_BASE_URL } from '../../observability/conventions.ts';
import type { Rule, RuleFile } from '../../observability/load-rule-files.ts';
import { REPO_ROOT } from '../../observability/repo-root.ts';
import { CANARY_HASH_LABEL } from './rollout.ts';
import { NATS, PART_OF, SECRETS, SERVICES, type ServiceId } from './topology.ts';

const monitoringLabels = { 'app.kubernetes.io/part-of': PART_OF };

/** As in compose/prometheus/prometheus.yml: WebhookGatewayDown's 60 s paging budget assumes 10 s. */
export const SCRAPE_INTERVAL = '10s';

/**
 * Your Grafana, as the people who receive the alerts open it: the rule files link to the compose
 * stack's (DASHBOARD_BASE_URL), which no cluster serves. Set it and re-render (deploy/README.md).
 */
export const GRAFANA_URL = 'https://grafana.example.com';

/** A rule's `dashboard` link moved from the compose Grafana to GRAFANA_URL; any other link is a mistake. */
export function clusterDashboardLink(link: string): string {
  if (!link.startsWith(DASHBOARD_BASE_URL)) throw new Error(`dashboard link outside ${DASHBOARD_BASE_URL}: ${link}`);
  return `${GRAFANA_URL}/d/${link.slice(DASHBOARD_BASE_URL.length)}`;
}

const withClusterDashboard = (rule: Rule): Rule =>
  rule.annotations?.dashboard === undefined
    ? rule
    : { ...rule, annotations: { ...rule.annotations, dashboard: clusterDashboardLink(rule.annotations.dashboard) } };

/** Every group of every rule file, in the order Prometheus loads them locally, linking to GRAFANA_URL. */
export function prometheusRule(files: readonly RuleFile[]): PrometheusRule {
  return new PrometheusRule({
    metadata: { name: PART_OF, labels: monitoringLabels },
    spec: { groups: files.flatMap((f) => f.groups).map((g) => ({ ...g, rules: g.rules.map(withClusterDashboard) })) },
  });
}

/**
 * One per service. The Service is named after the job the rules expect (webhook-gateway, …), and
 * `jobLabel` makes that name the job whatever prometheus-operator would otherwise derive. The
 * gateway's series also carry the Rollout's pod-template hash: the canary analysis selects on it.
 */
export function serviceMonitorFor(id: ServiceId): ServiceMonitor {
  const shape = SERVICES[id];
  const canary =
    id === 'gateway'
      ? [
          {
            sourceLabels: ['__meta_kubernetes_pod_label_rollouts_pod_template_hash'],
            targetLabel: CANARY_HASH_LABEL,
            action: 'replace' as const,
          },
        ]
      : undefined;
  return new ServiceMonitor({
    metadata: { name: shape.job, labels: monitoringLabels },
    spec: {
      jobLabel: 'event-bus/job',
      selector: { matchLabels: { 'app.kubernetes.io/name': shape.job } },
      endpoints: [{ port: shape.metrics ? 'metrics' : 'http', path: '/metrics', interval: SCRAPE_INTERVAL, relabelings: canary }],
    },
  });
}

/** The NATS chart's exporter sidecar, scraped as job `nats` (the name alerts/meta.rules.yml watches). */
export function natsPodMonitor(): PodMonitor {
  return new PodMonitor({
    metadata: { name: 'nats', labels: monitoringLabels },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': 'nats', 'app.kubernetes.io/instance': NATS.release } },
      podMetricsEndpoints: [
        {
          port: 'prom-metrics',
          interval: SCRAPE_INTERVAL,
          relabelings: [{ targetLabel: 'job', replacement: 'nats', action: 'replace' }],
        },
      ],
    },
  });
}

// ------------------------------------------------------------------ Alertmanager

type AmRoute = {
  receiver?: string;
  matchers?: string[];
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  continue?: boolean;
  routes?: AmRoute[];
};
type AmInhibit = { source_matchers: string[]; target_matchers: string[]; equal?: string[] };
type AmLink = { href: string; text?: string };
type AmReceiver = {
  name: string;
  webhook_configs?: { url: string; send_resolved?: boolean }[];
  pagerduty_configs?: { routing_key_file?: string; send_resolved?: boolean; description?: string; links?: AmLink[] }[];
  slack_configs?: { channel?: string; send_resolved?: boolean; title?: string; title_link?: string; text?: string }[];
};
export type AlertmanagerFile = { route: AmRoute; inhibit_rules?: AmInhibit[]; receivers: AmReceiver[]; templates?: string[] };

export const ALERTMANAGER_FILE = 'alertmanager/alertmanager.yml';

export function loadAlertmanagerFile(): AlertmanagerFile {
  return parse(readFileSync(path.join(REPO_ROOT, ALERTMANAGER_FILE), 'utf8')) as AlertmanagerFile;
}

const MATCH_TYPES = ['=~', '!~', '!=', '='] as const;

/** `alertname=~"A|B"` → { name, matchType, value }: Alertmanager's matcher syntax, quoted values only. */
export function parseMatcher(text: string): IMatcher {
  const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(text);
  if (!match) throw new Error(`not a matcher Alertmanager would accept here: ${text}`);
  const matchType = match[2] as (typeof MATCH_TYPES)[number];
  return { name: match[1]!, matchType, value: JSON.parse(`"${match[3]}"`) as string };
}

export function convertRoute(route: AmRoute): IRoute {
  return {
    receiver: route.receiver,
    matchers: route.matchers?.map(parseMatcher),
    groupBy: route.group_by,
    groupWait: route.group_wait,
    groupInterval: route.group_interval,
    repeatInterval: route.repeat_interval,
    continue: route.continue,
    routes: route.routes?.map((r) => convertRoute(r) as Record<string, unknown>),
  };
}

/** The receivers' secrets come from Secrets (the local file reads them from mounted files). */
function convertReceiver(receiver: AmReceiver): IReceiver {
  return {
    name: receiver.name,
    webhookConfigs: receiver.webhook_configs?.map((w) => ({ url: w.url, sendResolved: w.send_resolved })),
    pagerdutyConfigs: receiver.pagerduty_configs?.map((p) => ({
      routingKey: { name: SECRETS.pagerdutyRoutingKey.name, key: SECRETS.pagerdutyRoutingKey.key },
      sendResolved: p.send_resolved,
      description: p.description,
      pagerDutyLinkConfigs: p.links?.map((l) => ({ href: l.href, alt: l.text })),
    })),
    slackConfigs: receiver.slack_configs?.map((s) => ({
      apiURL: { name: SECRETS.slackWebhookUrl.name, key: SECRETS.slackWebhookUrl.key },
      channel: s.channel,
      sendResolved: s.send_resolved,
      title: s.title,
      titleLink: s.title_link,
      text: s.text,
    })),
  };
}

export function alertmanagerConfig(file: AlertmanagerFile): AlertmanagerConfig {
  return new AlertmanagerConfig({
    metadata: { name: PART_OF, labels: monitoringLabels },
    spec: {
      route: convertRoute(file.route),
      inhibitRules: file.inhibit_rules?.map((rule) => ({
        sourceMatch: rule.source_matchers.map(parseMatcher),
        targetMatch: rule.target_matchers.map(parseMatcher),
        equal: rule.equal,
      })),
      receivers: file.receivers.map(convertReceiver),
    },
  });
}

/** The notification templates the receivers name; the Alertmanager CR loads them (deploy/README.md). */
export function alertmanagerTemplates(): ConfigMap {
  const dir = path.join(REPO_ROOT, 'alertmanager/templates');
  const file = 'event-bus.tmpl';
  return new ConfigMap({
    metadata: { name: `${PART_OF}-alertmanager-templates`, labels: monitoringLabels },
    data: { [file]: readFileSync(path.join(dir, file), 'utf8') },
  });
}

// ------------------------------------------------------------------ Grafana

/** What Grafana's dashboard sidecar (kube-prometheus-stack's default) looks for. */
export const GRAFANA_SIDECAR_LABEL = { grafana_dashboard: '1' };

export function dashboardConfigMaps(): ConfigMap[] {
  return DASHBOARD_FILES.map(
    ({ uid, file }) =>
      new ConfigMap({
        metadata: {
          name: `dashboard-${uid}`,
          labels: { ...monitoringLabels, ...GRAFANA_SIDECAR_LABEL },
          annotations: { grafana_folder: 'Event bus' },
        },
        data: { [path.basename(file)]: readFileSync(path.join(REPO_ROOT, file), 'utf8') },
      }),
  );
}
