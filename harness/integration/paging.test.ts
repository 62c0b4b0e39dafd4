// One page per cause (issue 18), on a live stack: each major fault is injected in turn into a real
// event bus watched by Prometheus and Alertmanager (the demo routing), held, resolved, and the
// alert receiver must have received exactly one critical page for it. The rules run scaled down
// 30 times (harness/drill/scale-rules.ts) so the whole walk takes a few minutes, not an hour.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadRuleFile } from '../../observability/load-rule-files.ts';
import { scaleDuration, scaleRuleFile } from '../drill/scale-rules.ts';
import { buddyEvent } from '../load/event-factory.ts';
import { runOpenModel } from '../load/open-model.ts';
import { createEvent } from '../load/publisher-client.ts';
import { startObservedStack, type ObservedStack } from '../stack/observed-stack.ts';
import { REPO_ROOT } from '../stack/service.ts';
import { randomToken } from '../stack/token-file.ts';
import { sleep, waitFor } from '../stack/wait.ts';
import { newSecret, tempDir } from './support.ts';

const SCALE = 30;
/** How long a fault stays after its page: long enough for its critical symptoms (scaled) to fire too. */
const HOLD_MS = 12_000;

type Fault = { cause: string; page: string; inject(): Promise<void>; resolve(): Promise<void> };

let observed: ObservedStack;
let adminToken: string;
const abort = new AbortController();
let load: Promise<unknown>;

async function gatewayFaults(body: object | null) {
  const res = await fetch(`${observed.stack.gateway.url}/admin/faults`, {
    method: body ? 'PUT' : 'DELETE',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  expect(res.ok).toBe(true);
}

async function replayDeadLetters() {
  const res = await fetch(`${observed.stack.publisher.url}/admin/dead-letters/replay`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}` },
  });
  expect(res.ok).toBe(true);
}

const FAULTS: Fault[] = [
  {
    cause: 'gateway down',
    page: 'WebhookGatewayDown',
    inject: () => observed.stack.gateway.kill(),
    resolve: () => observed.stack.gateway.start(),
  },
  {
    cause: 'NATS down',
    page: 'EventBusNatsDisconnected',
    inject: () => observed.stack.nats.kill(),
    resolve: () => observed.stack.nats.start(),
  },
  {
    cause: 'publisher down',
    page: 'WebhookPublisherDown',
    inject: () => observed.stack.publisher.kill(),
    resolve: () => observed.stack.publisher.start(),
  },
  {
    cause: 'consumer down',
    page: 'EventConsumerDown',
    inject: () => observed.stack.consumer.kill(),
    resolve: () => observed.stack.consumer.start(),
  },
  {
    cause: 'dead letters',
    page: 'WebhookDeadLettersIncreasing',
    // Not retryable: each rejected event is dead-lettered at once.
    inject: () => gatewayFaults({ rejectRate: 0.2 }),
    resolve: async () => {
      await gatewayFaults(null);
      await replayDeadLetters();
    },
  },
];

type PromAlert = { labels: Record<string, string>; state: string };
/**
 * Critical alerts pending or firing. Prometheus 2.42 looks up its Alertmanagers again on every
 * reload, and a notification sent in that moment is dropped: the reload that loads the rules
 * below can drop the first one, which holds PrometheusAlertmanagerErrors pending for its 5 m
 * window. It pages only once firing, so pending it does not count against a healthy start.
 */
async function firingCritical(): Promise<string[]> {
  const res = await fetch(`${observed.prometheus.url}/api/v1/alerts`);
  const body = (await res.json()) as { data: { alerts: PromAlert[] } };
  return body.data.alerts
    .filter((a) => a.labels.severity === 'critical' && a.state !== 'inactive')
    .filter((a) => !(a.labels.alertname === 'PrometheusAlertmanagerErrors' && a.state === 'pending'))
    .map((a) => a.labels.alertname!);
}

const pagesSince = (from: number) =>
  observed.receiver.notifications.slice(from).filter((n) => n.receiver === 'pagerduty' && n.status === 'firing');

const notificationLog = () =>
  JSON.stringify(observed.receiver.notifications.map((n) => [n.receiver, n.status, n.receivedAt, n.alerts.map((a) => a.labels.alertname)]));

describe('one page per cause on a live stack', () => {
  beforeAll(async () => {
    const dir = tempDir('paging');
    adminToken = randomToken();
    const scaled = path.join(dir, 'event-bus.scaled.rules.yml');
    writeFileSync(scaled, stringify({ groups: scaleRuleFile(loadRuleFile('alerts/event-bus.rules.yml'), SCALE).groups }, { lineWidth: 0 }));
    const interval = scaleDuration('15s', SCALE);
    observed = await startObservedStack({
      dir,
      signingSecret: newSecret(),
      gatewayEnv: { GATEWAY_ADMIN_TOKEN: adminToken },
      publisherEnv: { PUBLISHER_ADMIN_TOKEN: adminToken },
      scrapeInterval: interval,
      evaluationInterval: interval,
      // A notification dropped at the rules' reload (see firingCritical) is sent again within seconds,
      // not a minute later. Not shorter: Alertmanager resolves an alert not re-sent for 4 times this.
      alertResendDelay: '5s',
      // No rules until every target has been scraped: an absent() seen before the first scrape would
      // page at start-up, and that group would then hold the next page of its cause for group_interval.
      ruleFiles: [],
    });
    await waitFor('every target scraped', async () => {
      const res = await fetch(`${observed.prometheus.url}/api/v1/query?query=${encodeURIComponent('min(up)')}`);
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      return body.data.result[0]?.value[1] === '1';
    });
    const configFile = path.join(dir, 'prometheus', 'prometheus.yml');
    const config = parse(readFileSync(configFile, 'utf8'));
    config.rule_files = [scaled, path.join(REPO_ROOT, 'alerts/meta.rules.yml')];
    writeFileSync(configFile, stringify(config));
    expect((await fetch(`${observed.prometheus.url}/-/reload`, { method: 'POST' })).ok).toBe(true);
    load = runOpenModel({
      stages: [{ ratePerSecond: 20, durationMs: 600_000 }],
      maxInFlight: 200,
      signal: abort.signal,
      iteration: (i) => createEvent(observed.stack.publisher, buddyEvent(i)),
    });
  }, 120_000);

  afterAll(async () => {
    abort.abort();
    await load?.catch(() => undefined);
    await observed?.stop();
  }, 60_000);

  it('the Watchdog heartbeat reaches the receiver through Prometheus and Alertmanager', async () => {
    await waitFor('a heartbeat', () => observed.receiver.heartbeat.count > 0, { timeoutMs: 30_000, intervalMs: 250 }).catch(
      (err: Error) => {
        throw new Error(`${err.message}; notifications so far: ${notificationLog()}`);
      },
    );
    expect(observed.receiver.notifications.some((n) => n.alerts.some((a) => a.labels.alertname === 'Watchdog'))).toBe(false);
    expect(observed.receiver.heartbeat.lastAt).not.toBeNull();
  });

  const results: Record<string, string[]> = {};

  it.each(FAULTS)(
    '$cause pages exactly once, with $page',
    async (fault) => {
      let critical: string[] = [];
      await waitFor(
        'a healthy start (nothing critical firing)',
        async () => {
          critical = await firingCritical();
          return critical.length === 0;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; still pending or firing: ${critical.join(', ')}; notifications so far: ${notificationLog()}`);
      });
      const from = observed.receiver.notifications.length;
      await fault.inject();
      try {
        await waitFor(`the ${fault.page} page`, () => pagesSince(from).length > 0, { timeoutMs: 60_000, intervalMs: 250 }).catch(
          (err: Error) => {
            throw new Error(`${err.message}; notifications so far: ${notificationLog()}`);
          },
        );
        // Past the first page's group_wait (10 s), every symptom that fires meanwhile has had its chance to page.
        await sleep(HOLD_MS);
      } finally {
        await fault.resolve();
      }
      const pages = pagesSince(from);
      results[fault.cause] = pages.map((p) => [...new Set(p.alerts.map((a) => a.labels.alertname))].join('+'));
      expect(results[fault.cause], notificationLog()).toEqual([fault.page]);
      await waitFor('the fault to resolve in Prometheus', async () => (await firingCritical()).length === 0, {
        timeoutMs: 90_000,
        intervalMs: 500,
      });
    },
    240_000,
  );
});
