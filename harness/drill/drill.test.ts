// The WebhookGatewayDown drill, end to end and with the real rules, against a running demo driven
// through its control API: the alert must fire in Alertmanager and resolve after the mitigation.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadRuleFile } from '../../observability/load-rule-files.ts';
import { tempDir } from '../integration/support.ts';
import { REPO_ROOT } from '../stack/service.ts';
import { waitFor } from '../stack/wait.ts';
import { DRILLS } from './drills.ts';
import type { DrillResult } from './run-drill.ts';
import { runbookFor } from './runbook-sections.ts';

describe('drills', () => {
  it('cover every alert, each with a runbook Diagnosis and Mitigation to print', () => {
    const alerts = loadRuleFile('alerts/event-bus.rules.yml').groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(DRILLS.map((d) => d.alert).sort()).toEqual([...alerts].sort());
    for (const d of DRILLS) {
      const runbook = runbookFor(d.alert);
      expect(runbook.diagnosis.length, d.alert).toBeGreaterThan(100);
      expect(runbook.mitigation.length, d.alert).toBeGreaterThan(100);
    }
  });

  it('WebhookGatewayDown fires in Alertmanager and resolves, against the running demo', async () => {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const names = [
      'nats-port',
      'nats-monitor-port',
      'gateway-port',
      'publisher-port',
      'consumer-port',
      'prometheus-port',
      'alertmanager-port',
      'receiver-port',
      'console-port',
      'control-port',
    ];
    const ports = names.flatMap((name, i) => [`--${name}`, String(base + i * 100)]);
    const controlUrl = `http://127.0.0.1:${base + 900}`;
    const stateDir = tempDir('drill-demo');
    const demo = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'harness/demo/demo.ts'), ...ports, '--rate', '20', '--state-dir', stateDir],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let demoOutput = '';
    // When the demo's receiver (the PagerDuty stand-in) printed the page: the end of the 60 s budget.
    let pagedAt: number | undefined;
    demo.stdout.on('data', (d) => {
      demoOutput += d;
      if (pagedAt === undefined && demoOutput.includes('[pagerduty] FIRING WebhookGatewayDown')) pagedAt = Date.now();
    });
    demo.stderr.on('data', (d) => (demoOutput += d));
    const exited = new Promise((resolve) => demo.on('exit', resolve));
    try {
      await waitFor('the demo to start', () => demoOutput.includes('Ctrl-C stops everything'), { timeoutMs: 90_000, intervalMs: 500 });
      // Kill only once Prometheus scrapes the gateway: the budget is from an outage, not from start-up.
      await waitFor('every Prometheus target to be up', () => /All \d+ Prometheus targets up/.test(demoOutput), {
        timeoutMs: 120_000,
        intervalMs: 500,
      });
      const out = tempDir('drill-out');
      // The kill happens after this, so pagedAt - drillStartedAt bounds the time to page from above.
      const drillStartedAt = Date.now();
      const drill = await promisify(execFile)(
        process.execPath,
        [
          path.join(REPO_ROOT, 'harness/drill/cli.ts'),
          'WebhookGatewayDown',
          '--control-url',
          controlUrl,
          '--state-dir',
          stateDir,
          '--out',
          out,
        ],
        { cwd: REPO_ROOT, timeout: 400_000 },
      ).catch((e: { stdout: string; stderr: string }) => e);
      expect(drill.stdout).toContain('drilling the running demo');
      expect(drill.stdout).toContain('-- Runbook: Diagnosis');
      const [result] = JSON.parse(readFileSync(path.join(out, 'drill.json'), 'utf8')) as DrillResult[];
      expect(result, drill.stdout + drill.stderr).toMatchObject({ alert: 'WebhookGatewayDown', pass: true, timeScale: 1 });
      // Scraped and evaluated every 10 s, for: 20s: active in Alertmanager after 20-40 s.
      expect(result!.timeToFireMs!).toBeGreaterThan(20_000);
      expect(result!.timeToFireMs!).toBeLessThan(50_000);
      expect(readFileSync(path.join(out, 'drill.md'), 'utf8')).toContain('| WebhookGatewayDown |');
      // The demo's alert receiver printed the page and its resolution.
      await waitFor('the receiver to print the page', () => pagedAt !== undefined, { timeoutMs: 30_000 }).catch(() => undefined);
      expect(pagedAt, `drill: ${JSON.stringify(result)}\n${demoOutput.slice(-4000)}`).toBeDefined();
      // Issue 14: a page within 60 s of the kill, with the production intervals and group_wait.
      const timeToPageMs = pagedAt! - drillStartedAt;
      console.log(`WebhookGatewayDown: active in Alertmanager after ${result!.timeToFireMs} ms, paged after at most ${timeToPageMs} ms`);
      expect(timeToPageMs).toBeLessThanOrEqual(60_000);
    } finally {
      demo.kill('SIGINT');
      const timer = setTimeout(() => process.kill(-demo.pid!, 'SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
  }, 480_000);
});
