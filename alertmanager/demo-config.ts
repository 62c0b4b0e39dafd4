// The demo Alertmanager configuration, generated from the production one: identical routes, timings
// and inhibitions, but every receiver posts to a local webhook instead of Slack or PagerDuty, so the
// whole path can be watched and tested without secrets.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../observability/repo-root.ts';

export const PRODUCTION_CONFIG = 'alertmanager/alertmanager.yml';
export const DEMO_CONFIG = 'alertmanager/alertmanager.demo.yml';
/** The demo's alert receiver (harness/alert-receiver) listens here by default. */
export const DEFAULT_RECEIVER_URL = 'http://127.0.0.1:9095';

type AlertmanagerConfig = {
  global?: Record<string, unknown>;
  receivers: { name: string; [integration: string]: unknown }[];
  [key: string]: unknown;
};

export function demoConfig(production: AlertmanagerConfig, receiverUrl: string): AlertmanagerConfig {
  const global = Object.fromEntries(
    Object.entries(production.global ?? {}).filter(([key]) => !/^(slack|pagerduty|opsgenie|wechat|victorops|telegram)_/.test(key)),
  );
  return {
    ...production,
    global,
    receivers: production.receivers.map(({ name }) => ({
      name,
      // One path per receiver, so a test (or a person) can see which receiver a notification reached.
      webhook_configs: [{ url: `${receiverUrl}/notify/${name}`, send_resolved: true }],
    })),
  };
}

export function renderDemoConfig(receiverUrl = DEFAULT_RECEIVER_URL): string {
  const production = parse(readFileSync(path.join(REPO_ROOT, PRODUCTION_CONFIG), 'utf8')) as AlertmanagerConfig;
  const header = `# GENERATED from ${PRODUCTION_CONFIG} by \`npm run generate\`; do not edit.\n# Receivers post to the local alert receiver (${receiverUrl}) instead of Slack and PagerDuty.\n`;
  return header + stringify(demoConfig(production, receiverUrl), { lineWidth: 0, aliasDuplicateObjects: false });
}
