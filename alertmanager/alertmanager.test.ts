// Alertmanager: the configuration is valid, every alert reaches its receivers, secrets stay in files,
// the demo configuration differs only in its receivers, and inhibition works on a real Alertmanager.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadRuleFile, ruleFilePaths } from '../observability/load-rule-files.ts';
import { startAlertReceiver, type AlertReceiver } from '../harness/alert-receiver/receiver.ts';
import { tempDir } from '../harness/integration/support.ts';
import { startAlertmanager, type Alertmanager } from '../harness/stack/alertmanager.ts';
import { REPO_ROOT } from '../observability/repo-root.ts';
import { waitFor } from '../harness/stack/wait.ts';
import { DEMO_CONFIG, PRODUCTION_CONFIG, renderDemoConfig } from './demo-config.ts';

const amtool = (args: string[]) => {
  try {
    return { code: 0, out: execFileSync('amtool', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: 'pipe' }) };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: e.stdout + e.stderr };
  }
};

const RECEIVERS_BY_SEVERITY: Record<string, string[]> = {
  critical: ['pagerduty', 'slack-critical'],
  warning: ['slack-alerts'],
  // Only the Watchdog heartbeat has no severity of consequence.
  none: ['heartbeat'],
};

/** Every alert Prometheus loads, with each label set it can carry (a templated service label has several). */
function alertLabelSets(): { alertname: string; severity: string; service: string }[] {
  const sets: { alertname: string; severity: string; service: string }[] = [];
  for (const file of ruleFilePaths().map((p) => loadRuleFile(p))) {
    for (const rule of file.groups.flatMap((g) => g.rules)) {
      if (!rule.alert) continue;
      const service = rule.labels?.service ?? '';
      const services = service.includes('{{') ? [...service.matchAll(/\b(gateway|publisher|consumer)\b/g)].map((m) => m[1]!) : [service];
      for (const s of new Set(services)) sets.push({ alertname: rule.alert, severity: rule.labels?.severity ?? '', service: s });
    }
  }
  return sets;
}

describe('alertmanager configuration', () => {
  it.each([PRODUCTION_CONFIG, DEMO_CONFIG])('%s passes amtool check-config', (file) => {
    const result = amtool(['check-config', file]);
    expect(result.out).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('keeps secrets out of the file: only *_file references', () => {
    const secretKeys = /^(api_url|routing_key|service_key|api_key|api_secret|token|password|bot_token|webhook_url)$/;
    const found: string[] = [];
    const walk = (value: unknown, at: string) => {
      if (Array.isArray(value)) for (const [i, v] of value.entries()) walk(v, `${at}[${i}]`);
      else if (value && typeof value === 'object')
        for (const [k, v] of Object.entries(value)) {
          if (secretKeys.test(k) || /^slack_api_url$/.test(k)) found.push(`${at}.${k}`);
          walk(v, `${at}.${k}`);
        }
    };
    const config = parse(readFileSync(path.join(REPO_ROOT, PRODUCTION_CONFIG), 'utf8'));
    walk(config, '');
    expect(found).toEqual([]);
    expect(JSON.stringify(config)).toContain('routing_key_file');
    expect(JSON.stringify(config)).toContain('slack_api_url_file');
  });

  it('the demo configuration has the same routes and inhibitions, and is generated', () => {
    const production = parse(readFileSync(path.join(REPO_ROOT, PRODUCTION_CONFIG), 'utf8'));
    const demo = parse(readFileSync(path.join(REPO_ROOT, DEMO_CONFIG), 'utf8'));
    expect(demo.route).toEqual(production.route);
    expect(demo.inhibit_rules).toEqual(production.inhibit_rules);
    expect(demo.receivers.map((r: { name: string }) => r.name)).toEqual(production.receivers.map((r: { name: string }) => r.name));
    expect(JSON.stringify(demo)).not.toMatch(/slack_configs|pagerduty_configs/);
  });

  it('routes every alert to the receivers of its severity (production and demo)', () => {
    const sets = alertLabelSets();
    expect(sets.length).toBeGreaterThanOrEqual(10);
    for (const file of [PRODUCTION_CONFIG, DEMO_CONFIG]) {
      for (const labels of sets) {
        const expected = RECEIVERS_BY_SEVERITY[labels.severity];
        expect(expected, `${labels.alertname} has severity ${labels.severity}`).toBeDefined();
        const result = amtool([
          'config',
          'routes',
          'test',
          `--config.file=${file}`,
          `--verify.receivers=${expected!.join(',')}`,
          ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
        ]);
        expect(result.code, `${file} ${labels.alertname}: ${result.out}`).toBe(0);
      }
    }
  });

  it('the Slack template links the runbook and the dashboard', () => {
    const dir = tempDir('am-template');
    const data = {
      receiver: 'slack-alerts',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'WebhookGatewayDown', severity: 'critical', service: 'gateway' },
          annotations: {
            summary: 'The webhook gateway is down or cannot be scraped.',
            description: 'up = 0',
            runbook_url: 'https://runbooks.test/WebhookGatewayDown.md',
            dashboard: 'http://grafana.test/d/x?viewPanel=7',
          },
        },
      ],
      groupLabels: { alertname: 'WebhookGatewayDown' },
      commonLabels: { alertname: 'WebhookGatewayDown', severity: 'critical', service: 'gateway' },
      commonAnnotations: {},
      externalURL: 'http://alertmanager.test',
    };
    writeFileSync(path.join(dir, 'data.json'), JSON.stringify(data));
    const render = (name: string) =>
      amtool([
        'template',
        'render',
        '--template.glob=alertmanager/templates/*.tmpl',
        `--template.text={{ template "${name}" . }}`,
        `--template.data=${path.join(dir, 'data.json')}`,
      ]);
    expect(render('event-bus.title').out).toContain('[FIRING:1] WebhookGatewayDown (gateway)');
    const text = render('event-bus.slack.text').out;
    expect(text).toContain('<https://runbooks.test/WebhookGatewayDown.md|Runbook>');
    expect(text).toContain('<http://grafana.test/d/x?viewPanel=7|Dashboard>');
  });
});

describe('inhibition on a real Alertmanager', () => {
  let receiver: AlertReceiver;
  const running: Alertmanager[] = [];

  beforeAll(async () => {
    receiver = await startAlertReceiver();
  });
  afterAll(async () => {
    await Promise.all(running.map((am) => am.stop()));
    await receiver.close();
  });

  async function freshAlertmanager(): Promise<Alertmanager> {
    const dir = tempDir('am');
    mkdirSync(dir, { recursive: true });
    const config = parse(renderDemoConfig(receiver.url));
    config.templates = [path.join(REPO_ROOT, 'alertmanager/templates/*.tmpl')];
    writeFileSync(path.join(dir, 'alertmanager.yml'), stringify(config));
    const am = await startAlertmanager({ configFile: path.join(dir, 'alertmanager.yml'), dir });
    running.push(am);
    return am;
  }

  async function post(am: Alertmanager, alerts: { alertname: string; severity: string; service: string }[]) {
    const body = alerts.map((labels) => ({
      labels,
      annotations: { summary: `${labels.alertname}.`, runbook_url: `https://runbooks.test/${labels.alertname}.md` },
      startsAt: new Date().toISOString(),
    }));
    const res = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  }

  const query = (am: Alertmanager, inhibited: boolean) =>
    (
      JSON.parse(
        amtool([
          'alert',
          'query',
          `--alertmanager.url=${am.url}`,
          '-o',
          'json',
          inhibited ? '--inhibited' : '--active',
          ...(inhibited ? ['--no-active'] : []),
        ]).out,
      ) as { labels: { alertname: string } }[]
    )
      .map((a) => a.labels.alertname)
      .sort();

  it('WebhookGatewayDown suppresses the publisher symptoms and the gateway warnings, nothing else', async () => {
    const am = await freshAlertmanager();
    await post(am, [
      { alertname: 'WebhookGatewayDown', severity: 'critical', service: 'gateway' },
      { alertname: 'WebhookPublisherDeliveryErrors', severity: 'warning', service: 'publisher' },
      { alertname: 'WebhookPublisherRetriesHigh', severity: 'warning', service: 'publisher' },
      { alertname: 'WebhookPublisherQueueBacklog', severity: 'warning', service: 'publisher' },
      { alertname: 'WebhookProcessingLatencyHigh', severity: 'warning', service: 'gateway' },
      { alertname: 'WebhookEventLagHigh', severity: 'warning', service: 'consumer' },
    ]);
    await waitFor('inhibitions to apply', () => query(am, true).length === 4, { timeoutMs: 10_000 });
    expect(query(am, true)).toEqual([
      'WebhookProcessingLatencyHigh',
      'WebhookPublisherDeliveryErrors',
      'WebhookPublisherQueueBacklog',
      'WebhookPublisherRetriesHigh',
    ]);
    expect(query(am, false)).toEqual(['WebhookEventLagHigh', 'WebhookGatewayDown']);
  });

  it('a critical alert suppresses warnings of its own service only', async () => {
    const am = await freshAlertmanager();
    await post(am, [
      { alertname: 'EventBusPublishErrors', severity: 'critical', service: 'gateway' },
      { alertname: 'WebhookSignatureFailures', severity: 'warning', service: 'gateway' },
      { alertname: 'WebhookPublisherRetriesHigh', severity: 'warning', service: 'publisher' },
      { alertname: 'WebhookDeadLetterQueueNotEmpty', severity: 'critical', service: 'publisher' },
    ]);
    await waitFor('inhibitions to apply', () => query(am, true).length === 2, { timeoutMs: 10_000 });
    expect(query(am, true)).toEqual(['WebhookPublisherRetriesHigh', 'WebhookSignatureFailures']);
    expect(query(am, false)).toEqual(['EventBusPublishErrors', 'WebhookDeadLetterQueueNotEmpty']);
  });

  it('delivers critical alerts to the PagerDuty and Slack stand-ins of the demo receiver', async () => {
    await waitFor(
      'critical notifications',
      () => {
        const receivers = new Set(
          receiver.notifications.filter((n) => n.alerts.some((a) => a.labels.alertname === 'WebhookGatewayDown')).map((n) => n.receiver),
        );
        return receivers.has('pagerduty') && receivers.has('slack-critical');
      },
      { timeoutMs: 30_000 },
    );
    // Inhibited alerts are never notified.
    expect(receiver.notifications.flatMap((n) => n.alerts.map((a) => a.labels.alertname))).not.toContain('WebhookPublisherQueueBacklog');
  });
});

/** An alert as Prometheus sends it: external labels included. */
type Labels = Record<string, string>;
const alert = (alertname: string, severity: string, service: string, extra: Labels = {}): Labels => ({
  alertname,
  severity,
  service,
  cluster: 'local',
  ...extra,
});

/**
 * Each cause with the symptoms it brings (alerts/README.md): what must stay active, everything else
 * inhibited. Each case has its own `environment`, so all of them run on one Alertmanager at once.
 */
const CAUSES: { cause: string; firing: Labels[]; active: string[] }[] = [
  {
    cause: 'gateway down',
    firing: [
      alert('WebhookGatewayDown', 'critical', 'gateway', { job: 'webhook-gateway' }),
      alert('EventBusInstanceDown', 'warning', 'gateway', { job: 'webhook-gateway', instance: 'g1' }),
      alert('WebhookPublisherDeliveryErrors', 'warning', 'publisher'),
      alert('WebhookPublisherQueueBacklog', 'warning', 'publisher'),
      alert('WebhookDeadLetterQueueNotEmpty', 'warning', 'publisher'),
      alert('WebhookUptimeBudgetBurnPage', 'critical', 'gateway', { slo: 'webhook-uptime' }),
      alert('WebhookDeliverySuccessBudgetBurnPage', 'critical', 'publisher', { slo: 'delivery-success' }),
    ],
    active: ['WebhookGatewayDown'],
  },
  {
    cause: 'NATS down',
    firing: [
      alert('EventBusNatsDisconnected', 'critical', 'gateway', { job: 'webhook-gateway', instance: 'g1' }),
      alert('EventBusNatsDisconnected', 'critical', 'consumer', { job: 'event-consumer', instance: 'c1' }),
      alert('EventBusNatsDisconnected', 'critical', 'publisher', { job: 'webhook-publisher', instance: 'p1' }),
      alert('EventBusPublishErrors', 'critical', 'gateway', { reason: 'unavailable' }),
      alert('WebhookGatewayErrorRateHigh', 'critical', 'gateway'),
      alert('EventConsumerStalled', 'critical', 'consumer', { consumer: 'journey' }),
      alert('WebhookEventLagHigh', 'warning', 'consumer', { consumer: 'journey' }),
      alert('WebhookPublisherRetriesHigh', 'warning', 'publisher'),
      alert('WebhookErrorRateBudgetBurnPage', 'critical', 'gateway', { slo: 'error-rate' }),
    ],
    active: ['EventBusNatsDisconnected', 'EventBusNatsDisconnected', 'EventBusNatsDisconnected'],
  },
  {
    // Nats or dual mode, the publisher alone cut off (its nkey, say): its own symptoms are inhibited,
    // the gateway's unrelated errors still page, and NATS down (above) stays one page with it.
    cause: 'publisher lost NATS',
    firing: [
      alert('EventBusNatsDisconnected', 'critical', 'publisher', { job: 'webhook-publisher', instance: 'p1' }),
      alert('WebhookPublisherDeliveryErrors', 'warning', 'publisher'),
      alert('WebhookPublisherRetriesHigh', 'warning', 'publisher'),
      alert('WebhookPublisherQueueBacklog', 'warning', 'publisher'),
      alert('WebhookDeadLetterQueueNotEmpty', 'warning', 'publisher'),
      alert('WebhookDeliverySuccessBudgetBurnPage', 'critical', 'publisher', { slo: 'delivery-success' }),
      alert('WebhookGatewayErrorRateHigh', 'critical', 'gateway'),
    ],
    active: ['EventBusNatsDisconnected', 'WebhookGatewayErrorRateHigh'],
  },
  {
    cause: 'publisher down',
    firing: [
      alert('WebhookPublisherDown', 'critical', 'publisher', { job: 'webhook-publisher' }),
      alert('EventBusInstanceDown', 'warning', 'publisher', { job: 'webhook-publisher', instance: 'p1' }),
      alert('WebhookDeliverySuccessSliAbsent', 'warning', 'publisher', { slo: 'delivery-success' }),
    ],
    active: ['WebhookPublisherDown'],
  },
  {
    cause: 'consumer down',
    firing: [
      alert('EventConsumerDown', 'critical', 'consumer', { job: 'event-consumer' }),
      alert('EventBusInstanceDown', 'warning', 'consumer', { job: 'event-consumer', instance: 'c1' }),
      alert('EventConsumerStalled', 'critical', 'consumer', { consumer: 'q2q-ai' }),
      alert('WebhookEventLagHigh', 'warning', 'consumer', { consumer: 'q2q-ai' }),
    ],
    active: ['EventConsumerDown'],
  },
  {
    // New dead letters page even while every other cause is firing.
    cause: 'dead letters',
    firing: [
      alert('WebhookDeadLettersIncreasing', 'critical', 'publisher'),
      alert('WebhookDeadLetterQueueNotEmpty', 'warning', 'publisher'),
      alert('WebhookGatewayDown', 'critical', 'gateway', { job: 'webhook-gateway' }),
      alert('WebhookPublisherDown', 'critical', 'publisher', { job: 'webhook-publisher' }),
      alert('EventBusNatsDisconnected', 'critical', 'gateway', { job: 'webhook-gateway', instance: 'g1' }),
    ],
    active: ['EventBusNatsDisconnected', 'WebhookDeadLettersIncreasing', 'WebhookGatewayDown', 'WebhookPublisherDown'],
  },
];

const environmentOf = (cause: string) => cause.replaceAll(' ', '-');

describe('one page per cause on a real Alertmanager', () => {
  let receiver: AlertReceiver;
  let am: Alertmanager;
  const alertsIn = (inhibited: boolean, environment: string) =>
    (
      JSON.parse(
        amtool([
          'alert',
          'query',
          `--alertmanager.url=${am.url}`,
          '-o',
          'json',
          inhibited ? '--inhibited' : '--active',
          ...(inhibited ? ['--no-active'] : []),
          `environment=${environment}`,
        ]).out,
      ) as { labels: Labels }[]
    )
      .map((a) => a.labels.alertname!)
      .sort();

  beforeAll(async () => {
    receiver = await startAlertReceiver();
    const dir = tempDir('am-causes');
    const config = parse(renderDemoConfig(receiver.url));
    config.templates = [path.join(REPO_ROOT, 'alertmanager/templates/*.tmpl')];
    writeFileSync(path.join(dir, 'alertmanager.yml'), stringify(config));
    am = await startAlertmanager({ configFile: path.join(dir, 'alertmanager.yml'), dir });
    const body = CAUSES.flatMap(({ cause, firing }) =>
      firing.map((labels) => ({
        labels: { ...labels, environment: environmentOf(cause) },
        annotations: { summary: `${labels.alertname}.` },
        startsAt: new Date().toISOString(),
      })),
    );
    // A warning elsewhere: no inhibition crosses environments.
    body.push({
      labels: { ...alert('WebhookPublisherQueueBacklog', 'warning', 'publisher'), environment: 'elsewhere' },
      annotations: { summary: 'WebhookPublisherQueueBacklog.' },
      startsAt: new Date().toISOString(),
    });
    const res = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await am?.stop();
    await receiver?.close();
  });

  it.each(CAUSES)('$cause: only the cause stays active, every symptom is inhibited', async ({ cause, firing, active }) => {
    const environment = environmentOf(cause);
    await waitFor(`inhibitions in ${environment}`, () => alertsIn(true, environment).length === firing.length - active.length, {
      timeoutMs: 10_000,
    });
    expect(alertsIn(false, environment)).toEqual([...active].sort());
  });

  it('an outage in one environment inhibits nothing in another', () => {
    expect(alertsIn(false, 'elsewhere')).toEqual(['WebhookPublisherQueueBacklog']);
  });

  it('sends exactly one page per cause (and one for each extra cause firing alongside)', async () => {
    const pages = (environment: string) =>
      receiver.notifications.filter((n) => n.receiver === 'pagerduty' && n.alerts.some((a) => a.labels.environment === environment));
    await waitFor('a page for every cause', () => CAUSES.every(({ cause }) => pages(environmentOf(cause)).length > 0), {
      timeoutMs: 30_000,
    });
    // Past group_wait nothing more may arrive: group_interval is 5 minutes.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const counts = Object.fromEntries(CAUSES.map(({ cause }) => [cause, pages(environmentOf(cause)).length]));
    expect(counts).toEqual({
      'gateway down': 1,
      'NATS down': 1,
      'publisher lost NATS': 2,
      'publisher down': 1,
      'consumer down': 1,
      'dead letters': 4,
    });
  });
});
