// The SLO burn report against a real Prometheus holding a deterministic 60-day history
// (slo/fixtures/history.ts, backfilled with promtool). Expected numbers are computed from the
// fixture's construction, independently of the report code.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeArtifact } from '../../harness/integration/support.ts';
import { freePort } from '../../harness/stack/ports.ts';
import { startPrometheus, type Prometheus } from '../../harness/stack/prometheus.ts';
import { REPO_ROOT } from '../../observability/repo-root.ts';
import { FIXTURE_DAYS, FIXTURE_END, fixtureData, fixtureOpenMetrics, SLO_NAMES, type FixtureSlo } from '../fixtures/history.ts';
import { loadSloSpecs } from '../spec.ts';
import type { Report } from './render.ts';

const DAY = 86_400;
const data = fixtureData();
let prometheus: Prometheus;
let empty: Prometheus;

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

beforeAll(async () => {
  const dir = tempDir('slo-report');
  writeFileSync(path.join(dir, 'history.om'), fixtureOpenMetrics(data));
  // One block per ~20 days instead of one per 2 hours: seconds instead of minutes.
  execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', '--max-block-duration=1440h', 'history.om', 'tsdb'], {
    cwd: dir,
  });
  prometheus = await startPrometheus({ dir: path.join(dir, 'prometheus'), tsdbPath: path.join(dir, 'tsdb') });
  empty = await startPrometheus({ dir: path.join(dir, 'empty') });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await empty?.stop();
});

describe('SLO burn report on the 60-day fixture', () => {
  let report: Report;
  let out: string;

  beforeAll(async () => {
    out = tempDir('slo-report-out');
    const result = await runReport(['--prometheus-url', prometheus.url, '--out', out, '--at', new Date(FIXTURE_END * 1000).toISOString()]);
    expect(result.code, result.stderr).toBe(0);
    report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
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
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
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
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe('SLO burn report on a five-minute history (issue 15)', () => {
  // The fixture's first five minutes: two scrapes, like a demo that has just started.
  const at = FIXTURE_END - FIXTURE_DAYS * DAY + 300;
  let report: Report;
  let out: string;

  beforeAll(async () => {
    out = tempDir('slo-report-short');
    const result = await runReport(['--prometheus-url', prometheus.url, '--out', out, '--at', String(at)]);
    expect(result.code, result.stderr).toBe(0);
    report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
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

  it('fits the charts to the data and draws a one-step series as a point', async () => {
    expect(report.slos.map((s) => s.series.time)).toEqual(SLO_NAMES.map(() => [at]));
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`file://${path.join(out, 'report.html')}`);
      expect(await page.locator('section svg.chart').count()).toBe(2 * SLO_NAMES.length);
      // Every chart shows its one point, inside the plot, not on a 30-day axis's edge.
      const dots = await page.locator('section svg.chart circle.point').evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('cx'))));
      expect(dots).toHaveLength(2 * SLO_NAMES.length);
      for (const cx of dots) expect(cx).toBeGreaterThan(56);
      // Clock times on the axis: the start of the data, not the start of the 30-day window.
      const labels = await page.locator('section svg.chart text').allTextContents();
      expect(labels).toContain(new Date((at - 300) * 1000).toISOString().slice(5, 16).replace('T', ' '));
      expect(await page.locator('#summary').textContent()).toContain('Insufficient data');
      const shot = path.join(REPO_ROOT, 'test-results', 'slo-report-short-history.png');
      await page.screenshot({ path: shot, fullPage: true });
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe('SLO burn report edge cases', () => {
  it('says "No data" honestly when Prometheus has none', async () => {
    const out = tempDir('slo-report-empty');
    const result = await runReport(['--prometheus-url', empty.url, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
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
    const out = tempDir('slo-report-month');
    const result = await runReport(['--prometheus-url', prometheus.url, '--out', out, '--window', 'month', '--at', '2026-10-20T00:00:00Z']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
    expect(report.window.start).toBe(Date.parse('2026-10-01T00:00:00Z') / 1000);
    const end = Date.parse('2026-10-20T00:00:00Z') / 1000;
    const delivery = report.slos.find((s) => s.name === 'delivery-success')!;
    expect(delivery.achieved).toBeCloseTo(1 - expectedRatio('delivery-success', end - report.window.start, end), 9);
  });
});
