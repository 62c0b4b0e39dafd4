// End to end: a real Prometheus scrapes the real services under load, with the alert and SLO rules
// loaded. Every query of every panel must return data, and the console must draw every panel in
// headless Chromium (screenshots in test-results/).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../harness/stack/chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSecret, tempDir } from '../harness/integration/support.ts';
import { buddyEnvelope, buddyEvent } from '../harness/load/event-factory.ts';
import { runOpenModel } from '../harness/load/open-model.ts';
import { createEvent } from '../harness/load/publisher-client.ts';
import type { Alertmanager } from '../harness/stack/alertmanager.ts';
import { startObservedStack, type ObservedStack } from '../harness/stack/observed-stack.ts';
import type { Prometheus } from '../harness/stack/prometheus.ts';
import { REPO_ROOT } from '../observability/repo-root.ts';
import { loadSloSpecs } from '../slo/spec.ts';
import type { Stack } from '../harness/stack/stack.ts';
import { waitFor } from '../harness/stack/wait.ts';
import { startConsole, type Console } from './console/server.ts';
import { DASHBOARDS } from './index.ts';
import { expandVariables } from './validate.ts';

let observed: ObservedStack;
let stack: Stack;
let alertmanager: Alertmanager;
let prometheus: Prometheus;
let consoleServer: Console;
const load = new AbortController();
let loadDone: Promise<unknown>;

type LoadedDashboard = {
  uid: string;
  panels: {
    id: number;
    type: string;
    title: string;
    targets: { refId: string; expr: string }[];
    fieldConfig?: { defaults?: { noValue?: string } };
  }[];
};
const dashboards = DASHBOARDS.map((d) => JSON.parse(readFileSync(path.join(REPO_ROOT, d.file), 'utf8')) as LoadedDashboard);

async function instant(expr: string) {
  const res = await fetch(`${prometheus.url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await res.json()) as { status: string; data: { result: { value: [number, string] }[] } };
  return body.data.result;
}

beforeAll(async () => {
  // Dual transport, so the migration panels have data too.
  observed = await startObservedStack({
    dir: tempDir('dashboards-e2e'),
    signingSecret: newSecret(),
    scrapeInterval: '2s',
    evaluationInterval: '2s',
    publisherEnv: { PUBLISHER_TRANSPORT: 'dual' },
  });
  ({ stack, alertmanager, prometheus } = observed);
  await waitFor(
    'rule groups to load',
    async () => ((await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as { data: { groups: unknown[] } }).data.groups.length >= 6,
  );
  consoleServer = await startConsole({ prometheusUrl: prometheus.url, alertmanagerUrl: alertmanager.url, rateInterval: '30s' });
  // 50 events/s through the publisher, and two unsigned webhooks a second straight at the gateway,
  // so the signature-failure series move and WebhookSignatureFailures goes pending (ALERTS has data).
  loadDone = Promise.all([
    runOpenModel({
      stages: [{ ratePerSecond: 50, durationMs: 600_000 }],
      maxInFlight: 200,
      signal: load.signal,
      iteration: (i) => createEvent(stack.publisher.url, buddyEvent(i)),
    }),
    runOpenModel({
      stages: [{ ratePerSecond: 2, durationMs: 600_000 }],
      maxInFlight: 10,
      signal: load.signal,
      iteration: async () => {
        const res = await fetch(stack.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(buddyEnvelope(1)),
        });
        await res.arrayBuffer();
        return { ok: res.status === 401 };
      },
    }),
  ]);
}, 120_000);

afterAll(async () => {
  load.abort();
  await loadDone;
  await consoleServer?.close();
  await observed?.stop();
});

describe('dashboards against a real Prometheus under load', () => {
  it('every query of every panel returns data', async () => {
    const targets = dashboards.flatMap((d) =>
      d.panels.flatMap((p) =>
        p.targets.map((t) => {
          const expr = expandVariables(t.expr, { __rate_interval: '30s' });
          // A panel that says what "nothing" means (noValue, e.g. the budget before the data covers
          // enough of the window) may legitimately be empty here: the figure it gates must not be.
          const gated = p.fieldConfig?.defaults?.noValue ? expr.split(/\nand on \(slo\)\n/)[0]! : expr;
          return { where: `${d.uid} panel ${p.id} "${p.title}" ${t.refId}`, expr: gated };
        }),
      ),
    );
    expect(targets.length).toBeGreaterThan(25);
    let empty: string[] = [];
    await waitFor(
      'every panel query to return data',
      async () => {
        empty = [];
        for (const t of targets) {
          const result = await instant(t.expr);
          if (!result.some((r) => Number.isFinite(Number(r.value[1])))) empty.push(t.where);
        }
        return empty.length === 0;
      },
      { timeoutMs: 90_000, intervalMs: 2000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}: still empty: ${empty.join('; ')}`);
    });
  }, 120_000);
});

describe('console', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  it.each(dashboards.map((d) => [d.uid, d] as const))(
    'draws every panel of %s with data, and shows alerts and SLO status',
    async (uid, d) => {
      // A firing alert in Alertmanager, as Prometheus would send it; the console must list it with its runbook.
      await fetch(`${alertmanager.url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          {
            labels: { alertname: 'WebhookSignatureFailures', severity: 'warning', service: 'gateway', reason: 'missing' },
            annotations: {
              summary: 'Webhook requests are failing signature verification.',
              runbook_url: 'https://github.com/csr-platform/webhook-event-bus/blob/main/runbooks/WebhookSignatureFailures.md',
            },
          },
        ]),
      });
      const page = await browser.newPage({ viewport: { width: 1600, height: 1300 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${consoleServer.url}/#${uid}`);
      // Browser-side checks are passed as strings: this file is type-checked for Node, not the DOM.
      await page.waitForFunction(`document.querySelectorAll('.panel').length === ${d.panels.length}`);
      // Auto-refresh redraws every 15 s; wait until every panel has drawn its data.
      await page
        .waitForFunction(`[...document.querySelectorAll('.panel')].every((p) => p.dataset.state === 'ok')`, undefined, { timeout: 60_000 })
        .catch(async () => {
          const states = await page.evaluate(
            `[...document.querySelectorAll('.panel')].map((p) => p.dataset.panelId + ':' + p.dataset.state).join(' ')`,
          );
          throw new Error(`panels not all ok: ${states}`);
        });
      // Every time series draws, except one that states its noValue: on a stack minutes old, the burn
      // rates, which wait until the data covers 90 % of their window (the SLO dashboard's guard).
      const timeseries = d.panels.filter((p) => p.type === 'timeseries');
      const waiting = timeseries.filter((p) => p.fieldConfig?.defaults?.noValue).map((p) => p.fieldConfig!.defaults!.noValue!);
      expect(await page.locator('.panel .uplot').count()).toBe(timeseries.length - waiting.length);
      for (const text of waiting) await expect(page.locator('.panel .no-value', { hasText: text }).count()).resolves.toBe(1);
      // The alert this test provokes, with its runbook link, among whatever else fires (the Watchdog always does).
      await page.waitForSelector('#alerts a.runbook[href*="runbooks/WebhookSignatureFailures.md"]', { timeout: 20_000 });
      // The link opens this checkout's runbook, not the published repository's.
      const runbookHref = await page.locator('#alerts a.runbook[href*="WebhookSignatureFailures"]').first().getAttribute('href');
      expect(runbookHref).toBe('/runbooks/WebhookSignatureFailures.md');
      const runbook = await fetch(new URL(runbookHref!, consoleServer.url));
      expect(runbook.status).toBe(200);
      expect(await runbook.text()).toContain('## Mitigation');
      expect((await fetch(new URL('/runbooks/..%2Fpackage.json', consoleServer.url))).status).toBe(404);
      await page.waitForSelector('#slos tr.slo');
      expect(await page.locator('#slos tr.slo').count()).toBe(loadSloSpecs().length);
      expect(errors).toEqual([]);
      await page.screenshot({ path: path.join(REPO_ROOT, 'test-results', `console-${uid}.png`), fullPage: true });
      await page.close();
    },
    120_000,
  );
});
