// The SLO burn report against a real Prometheus holding a deterministic 60-day history
// (slo/fixtures/history.ts, backfilled with promtool). Expected numbers are computed from the
// fixture's construction, independently of the report code.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeArtifact } from '../../harness/integration/support.ts';
import { withBrowser } from '../../harness/stack/chromium.ts';
import { freePort } from '../../harness/stack/ports.ts';
import { startPrometheus, type Prometheus } from '../../harness/stack/prometheus.ts';
import { REPO_ROOT } from '../../observability/repo-root.ts';
import {
  FIXTURE_DAYS,
  FIXTURE_END,
  fixtureData,
  fixtureOpenMetrics,
  NATS_CUTOVER_DAY,
  SLO_NAMES,
  type FixtureSlo,
  VANISHED,
  vanishedGatewayOpenMetrics,
} from '../fixtures/history.ts';
import { loadSloSpecs } from '../spec.ts';
import type { Report } from './render.ts';

const DAY = 86_400;
const data = fixtureData();
let prometheus: Prometheus;
let empty: Prometheus;
/** The same history with the publisher cut over to the nats transport on NATS_CUTOVER_DAY. */
let natsOnly: Prometheus;

/** Error ratio over (end - seconds, end], straight from the fixture's construction. */
function expectedRatio(slo: FixtureSlo, seconds: number, end = FIXTURE_END): number {
  if (slo === 'webhook-uptime') {
    // count_over_time includes the samples at both ends of the range.
    const samples = data.times.map((t, i) => [t, data.up[i]!] as const).filter(([t]) => t >= end - seconds && t <= end);
    return samples.filter(([, up]) => up === 0).length / samples.length;
  }
  const d = data.intervals[slo];
  let bad = 0;
  let total = 0;
  data.times.slice(1).forEach((t, i) => {
    if (t > end - seconds && t <= end) {
      bad += d.bad[i]!;
      total += d.total;
    }
  });
  return bad / total;
}

const runReport = (args: string[]) =>
  promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'slo/report/slo-report.ts'), ...args], { cwd: REPO_ROOT }).then(
    (r) => ({ code: 0, ...r }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );

/** Runs the report into a new directory and reads the report.json it wrote. */
async function reportFrom(url: string, name: string, ...args: string[]): Promise<{ report: Report; out: string }> {
  const out = tempDir(name);
  const result = await runReport(['--prometheus-url', url, '--out', out, ...args]);
  expect(result.code, result.stderr).toBe(0);
  return { report: JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as Report, out };
}

/** A Prometheus whose TSDB holds `openMetrics`, backfilled with promtool. */
function backfill(dir: string, name: string, openMetrics: string): Promise<Prometheus> {
  writeFileSync(path.join(dir, `${name}.om`), openMetrics);
  // One block per ~20 days instead of one per 2 hours: seconds instead of minutes.
  execFileSync(
    'promtool',
    ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', '--max-block-duration=1440h', `${name}.om`, `${name}-tsdb`],
    {
      cwd: dir,
    },
  );
  return startPrometheus({ dir: path.join(dir, `${name}-prometheus`), tsdbPath: path.join(dir, `${name}-tsdb`) });
}

beforeAll(async () => {
  const dir = tempDir('slo-report');
  prometheus = await backfill(dir, 'history', fixtureOpenMetrics(data));
  natsOnly = await backfill(dir, 'nats', fixtureOpenMetrics(data, { natsFromDay: NATS_CUTOVER_DAY }));
  empty = await startPrometheus({ dir: path.join(dir, 'empty') });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await natsOnly?.stop();
  await empty?.stop();
});

describe('SLO burn report on the 60-day fixture', () => {
  let report: Report;
  let out: string;

  beforeAll(async () => {
    ({ report, out } = await reportFrom(prometheus.url, 'slo-report-out', '--at', new Date(FIXTURE_END * 1000).toISOString()));
  }, 60_000);

  it('writes report.json, report.md and report.html', () => {
    for (const f of ['report.json', 'report.md', 'report.html']) expect(existsSync(path.join(out, f))).toBe(true);
    expect(report.slos.map((s) => s.name)).toEqual(SLO_NAMES);
  });

  it('computes achieved SLI, budget left, burn rates and the previous window as the fixture dictates', () => {
    const specs = loadSloSpecs();
    for (const s of report.slos) {
      const slo = s.name as FixtureSlo;
      const budget = 1 - specs.find((x) => x.name === slo)!.objective;
      const ratio = expectedRatio(slo, 30 * DAY);
      const previous = expectedRatio(slo, 30 * DAY, FIXTURE_END - 30 * DAY);
      expect(s.achieved, `${slo} achieved`).toBeCloseTo(1 - ratio, 9);
      expect(s.budgetRemaining, `${slo} budget`).toBeCloseTo(1 - ratio / budget, 6);
      expect(s.previous.achieved, `${slo} previous`).toBeCloseTo(1 - previous, 9);
      expect(s.delta.achievedPoints, `${slo} delta`).toBeCloseTo((previous - ratio) * 100, 6);
      for (const [w, seconds] of [
        ['1h', 3600],
        ['6h', 6 * 3600],
        ['1d', DAY],
        ['3d', 3 * DAY],
      ] as const) {
        expect(s.burnRates[w], `${slo} burn ${w}`).toBeCloseTo(expectedRatio(slo, seconds) / budget, 6);
      }
    }
  });

  it('gives each SLO the status its history earns', () => {
    // delivery: 54 % left but the 3-day burn (1.07x) is above the 1x ticket line; latency: 59 % left,
    // burning 0.8x; uptime: 5 % left; error rate: overspent by the 1 % slow burn.
    expect(Object.fromEntries(report.slos.map((s) => [s.name, s.status]))).toEqual({
      'delivery-success': 'At risk',
      'processing-latency': 'Healthy',
      'webhook-uptime': 'At risk',
      'error-rate': 'Exhausted',
      'end-to-end-latency': 'At risk',
    });
  });

  it('puts the leadership summary table first in report.md, then one section per SLO', () => {
    const md = readFileSync(path.join(out, 'report.md'), 'utf8');
    writeArtifact('slo-report.md', md);
    const summary = md.indexOf('## Summary');
    expect(summary).toBeGreaterThan(0);
    for (const s of report.slos) {
      expect(md.indexOf(`## ${s.displayName}`)).toBeGreaterThan(summary);
      expect(md).toContain(`| ${s.displayName} |`);
    }
    expect(md).toContain('**Exhausted**');
  });

  it('renders report.html with charts and numbers, with no network, in headless Chromium', async () => {
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)="https?:/);
    await withBrowser(async (browser) => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${path.join(out, 'report.html')}`);
      expect(await page.locator('#summary tbody tr').count()).toBe(SLO_NAMES.length);
      expect(await page.locator('section svg.chart').count()).toBe(2 * SLO_NAMES.length);
      const pathLengths = await page
        .locator('section svg.chart path')
        .evaluateAll((paths) => paths.map((p) => (p.getAttribute('d') ?? '').length));
      expect(pathLengths.every((n) => n > 100)).toBe(true);
      // 60 days of history have no lone points: no dots.
      expect(await page.locator('section svg.chart circle.point').count()).toBe(0);
      expect(await page.locator('#summary').textContent()).toContain(`${+(report.slos[0]!.achieved! * 100).toFixed(3)}%`);
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
      const shot = path.join(REPO_ROOT, 'test-results', 'slo-report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(existsSync(shot)).toBe(true);
    });
  }, 60_000);
});

describe('SLO burn report on a five-minute history (issue 15)', () => {
  // The fixture's first five minutes: two scrapes, like a demo that has just started.
  const at = FIXTURE_END - FIXTURE_DAYS * DAY + 300;
  let report: Report;
  let out: string;

  beforeAll(async () => {
    ({ report, out } = await reportFrom(prometheus.url, 'slo-report-short', '--at', String(at)));
  }, 60_000);

  it('measures how much of the window the data covers, and gives no status, budget or burn on it', () => {
    for (const s of report.slos) {
      expect(s.coverage, s.name).toMatchObject({ seconds: 300, windowSeconds: 30 * DAY, sufficient: false });
      expect(s.status, s.name).toBe('Insufficient data');
      expect(s.budgetRemaining, s.name).toBeNull();
      expect(Object.values(s.burnRates), s.name).toEqual([null, null, null, null]);
      expect(s.achieved, s.name).not.toBeNull();
    }
    const md = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('| 5 min of 30 d |');
    expect(md).toContain('| – / – / – / – | **Insufficient data** |');
    expect(md).not.toContain('Exhausted**');
  });

  it('draws no budget point and no burn point the table would not show', async () => {
    expect(report.slos.map((s) => s.series.time)).toEqual(SLO_NAMES.map(() => [at]));
    for (const s of report.slos) {
      // No budget left below the coverage a status needs, so no point below 0 % either.
      expect(s.series.budgetRemaining, s.name).toEqual([null]);
      // Five minutes cover no burn window (the shortest is 1h).
      expect(s.series.burnRate, s.name).toEqual([null]);
    }
    await withBrowser(async (browser) => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`file://${path.join(out, 'report.html')}`);
      // Each chart gives way to a sentence saying why it is empty, instead of a flat line or a lone dot.
      expect(await page.locator('section svg.chart').count()).toBe(0);
      expect(await page.locator('section .chart-note[data-chart="budget"]').count()).toBe(SLO_NAMES.length);
      expect(await page.locator('section .chart-note[data-chart="burn"]').count()).toBe(SLO_NAMES.length);
      expect(await page.locator('section .chart-note').first().textContent()).toContain('5 min of 30 d');
      expect(await page.locator('#summary').textContent()).toContain('Insufficient data');
      const shot = path.join(REPO_ROOT, 'test-results', 'slo-report-short-history.png');
      await page.screenshot({ path: shot, fullPage: true });
    });
  }, 60_000);
});

describe('SLO burn report on a two-hour history (issue 15)', () => {
  // Two hours: the 1h burn is covered from 54 minutes on, the budget not at all.
  const dataStart = FIXTURE_END - FIXTURE_DAYS * DAY;
  const at = dataStart + 2 * 3600;
  let report: Report;
  let out: string;

  beforeAll(async () => {
    ({ report, out } = await reportFrom(prometheus.url, 'slo-report-two-hours', '--at', String(at)));
  }, 60_000);

  it('fits the burn chart to the data and draws burns only where the data covers 90 % of 1h', async () => {
    for (const s of report.slos) {
      expect(s.series.stepSeconds, s.name).toBe(300);
      expect(
        s.series.budgetRemaining.every((v) => v === null),
        s.name,
      ).toBe(true);
      const drawn = s.series.time.filter((_, i) => s.series.burnRate[i] !== null);
      expect(drawn.length, s.name).toBeGreaterThan(0);
      for (const t of drawn) expect(t - dataStart, s.name).toBeGreaterThanOrEqual(0.9 * 3600);
      for (const b of s.series.burnRate.filter((v) => v !== null)) expect(b, s.name).toBeLessThan(1); // the clean baseline
    }
    await withBrowser(async (browser) => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`file://${path.join(out, 'report.html')}`);
      expect(await page.locator('section svg.chart').count()).toBe(SLO_NAMES.length);
      expect(await page.locator('section .chart-note[data-chart="budget"]').count()).toBe(SLO_NAMES.length);
      // Clock times on the axis: the start of the data, not the start of the 30-day window.
      const labels = await page.locator('section svg.chart text').allTextContents();
      expect(labels).toContain(new Date(dataStart * 1000).toISOString().slice(5, 16).replace('T', ' '));
    });
  }, 60_000);
});

describe('SLO burn report after the cutover to the nats transport (issue 14)', () => {
  // The window (days 30 to 60) is all nats: no webhook reaches the gateway, which still runs.
  let report: Report;
  let out: string;
  const slo = (name: FixtureSlo) => report.slos.find((s) => s.name === name)!;

  beforeAll(async () => {
    ({ report, out } = await reportFrom(natsOnly.url, 'slo-report-nats', '--at', new Date(FIXTURE_END * 1000).toISOString()));
  }, 60_000);

  it('does not judge the SLOs measured on the webhook path: No data, not Exhausted, not achieved', () => {
    for (const name of ['processing-latency', 'error-rate'] as const) {
      expect(slo(name), name).toMatchObject({ status: 'No data', achieved: null, budgetRemaining: null });
      expect(Object.values(slo(name).burnRates), name).toEqual([null, null, null, null]);
      // The window before held webhook traffic until the cutover: that one is still judged.
      const cutover = FIXTURE_END - (FIXTURE_DAYS - NATS_CUTOVER_DAY) * DAY;
      expect(slo(name).previous.achieved, name).toBeCloseTo(1 - expectedRatio(name, NATS_CUTOVER_DAY * DAY, cutover), 9);
    }
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html.match(/No data: there was no traffic/g)).toHaveLength(2);
  });

  it("judges the publisher's delivery SLO and the consumers' end-to-end latency as before the cutover", () => {
    const specs = loadSloSpecs();
    for (const name of ['delivery-success', 'end-to-end-latency'] as const) {
      const budget = 1 - specs.find((x) => x.name === name)!.objective;
      const ratio = expectedRatio(name, 30 * DAY);
      expect(slo(name).achieved, name).toBeCloseTo(1 - ratio, 9);
      expect(slo(name).budgetRemaining, name).toBeCloseTo(1 - ratio / budget, 6);
      expect(slo(name).burnRates['3d'], name).toBeCloseTo(expectedRatio(name, 3 * DAY) / budget, 6);
      expect(slo(name).status, name).toBe('At risk');
    }
    // The gateway stays up for the rollback (runbooks/migration/cutover.md): its uptime is still judged.
    expect(slo('webhook-uptime').status).toBe('At risk');
  });
});

describe('SLO burn report on a gateway that vanished (recorded by the SLO rules)', () => {
  // Under DNS discovery a stopped gateway is not up == 0 but gone: only slo:expected_target:up sees it.
  let vanished: Prometheus;
  let report: Report;

  beforeAll(async () => {
    const dir = tempDir('slo-report-vanished');
    vanished = await backfill(dir, 'vanished', vanishedGatewayOpenMetrics());
    ({ report } = await reportFrom(vanished.url, 'slo-report-vanished-out', '--at', String(FIXTURE_END)));
  }, 120_000);

  afterAll(async () => {
    await vanished?.stop();
  });

  it('counts the missing hours as down, as the burn alerts do, where Prometheus has the recording', () => {
    const uptime = report.slos.find((s) => s.name === 'webhook-uptime')!;
    // 12 hours of 5-minute scrapes missing out of 30 days; raw `up` would read 100 %.
    const missing = (VANISHED.hours * 3600) / 300;
    expect(uptime.achieved).toBeCloseTo(1 - missing / ((30 * DAY) / 300), 4);
    expect(uptime.status).toBe('Exhausted');
  });
});

describe('SLO burn report edge cases', () => {
  it('says "No data" honestly when Prometheus has none', async () => {
    const { report, out } = await reportFrom(empty.url, 'slo-report-empty');
    expect(report.slos.map((s) => s.status)).toEqual(SLO_NAMES.map(() => 'No data'));
    expect(report.slos.every((s) => s.achieved === null && s.budgetRemaining === null)).toBe(true);
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('No data: there was no traffic');
  });

  it('exits non-zero with a clear message when Prometheus is unreachable', async () => {
    const port = await freePort();
    const result = await runReport(['--prometheus-url', `http://127.0.0.1:${port}`, '--out', tempDir('slo-report-down')]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`cannot reach Prometheus at http://127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('reports a calendar month when asked', async () => {
    const { report } = await reportFrom(prometheus.url, 'slo-report-month', '--window', 'month', '--at', '2026-10-20T00:00:00Z');
    expect(report.window.start).toBe(Date.parse('2026-10-01T00:00:00Z') / 1000);
    const end = Date.parse('2026-10-20T00:00:00Z') / 1000;
    const delivery = report.slos.find((s) => s.name === 'delivery-success')!;
    expect(delivery.achieved).toBeCloseTo(1 - expectedRatio('delivery-success', end - report.window.start, end), 9);
  });
});
