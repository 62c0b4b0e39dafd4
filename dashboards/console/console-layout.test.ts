// Can a person read the console? A real Prometheus holds an hour of history for every series the
// dashboards query (layout-history.ts), and headless Chromium draws both dashboards at two widths.
// On every panel we measure boxes: legend entries inside the panel, axis labels (drawn on canvas,
// recorded as they are drawn) inside their canvas and clear of each other, text not overflowing.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../harness/stack/chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../harness/integration/support.ts';
import { startPrometheus, type Prometheus } from '../../harness/stack/prometheus.ts';
import { REPO_ROOT } from '../../observability/repo-root.ts';
import { loadSloSpecs } from '../../slo/spec.ts';
import { DASHBOARD_FILES } from '../catalog.ts';
import { labelValues, layoutHistoryOpenMetrics, seriesFor } from './layout-history.ts';
import { startConsole, type Console } from './server.ts';

type LoadedDashboard = { uid: string; title: string; panels: { id: number; type: string; title: string; targets?: { expr?: string }[] }[] };
const dashboards = DASHBOARD_FILES.map((d) => JSON.parse(readFileSync(path.join(REPO_ROOT, d.file), 'utf8')) as LoadedDashboard);

let prometheus: Prometheus;
let consoleServer: Console;
let browser: Browser;

beforeAll(async () => {
  const dir = tempDir('console-layout');
  const series = seriesFor(dashboards, labelValues(loadSloSpecs().map((s) => s.name)));
  writeFileSync(path.join(dir, 'history.om'), layoutHistoryOpenMetrics(series, { end: Math.floor(Date.now() / 1000) }));
  execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', 'history.om', 'tsdb'], { cwd: dir });
  prometheus = await startPrometheus({ dir: path.join(dir, 'prometheus'), tsdbPath: path.join(dir, 'tsdb') });
  consoleServer = await startConsole({ prometheusUrl: prometheus.url, rateInterval: '1m' });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await consoleServer?.close();
  await prometheus?.stop();
});

// Browser-side code is passed as strings: this file is type-checked for Node, not the DOM.

// uPlot draws tick labels on canvas. Record each text as it is drawn, with its ink box in canvas
// pixels; a full clearRect starts a new frame.
const RECORD_CANVAS_TEXT = `(() => {
  const frames = new WeakMap();
  window.__canvasText = (canvas) => frames.get(canvas) ?? [];
  const proto = CanvasRenderingContext2D.prototype;
  const clearRect = proto.clearRect;
  proto.clearRect = function (x, y, w, h) {
    if (x <= 0 && y <= 0 && w >= this.canvas.width && h >= this.canvas.height) frames.set(this.canvas, []);
    return clearRect.call(this, x, y, w, h);
  };
  const fillText = proto.fillText;
  proto.fillText = function (text, x, y, ...rest) {
    const m = this.measureText(text);
    const t = this.getTransform();
    const corners = [
      [x - m.actualBoundingBoxLeft, y - m.actualBoundingBoxAscent],
      [x + m.actualBoundingBoxRight, y + m.actualBoundingBoxDescent],
    ].map(([px, py]) => [t.a * px + t.c * py + t.e, t.b * px + t.d * py + t.f]);
    const xs = corners.map((c) => c[0]);
    const ys = corners.map((c) => c[1]);
    if (!frames.has(this.canvas)) frames.set(this.canvas, []);
    frames.get(this.canvas).push({ text: String(text), left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) });
    return fillText.call(this, text, x, y, ...rest);
  };
})()`;

// Every readability problem on the page, as sentences naming the panel.
const LAYOUT_PROBLEMS = `(() => {
  const problems = [];
  const inside = (r, box, slack = 0.5) =>
    r.left >= box.left - slack && r.right <= box.right + slack && r.top >= box.top - slack && r.bottom <= box.bottom + slack;
  // Labels closer than 2 px read as one word ("10:40pm10:45pm"), so they count as overlapping.
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > -2 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > -2;
  for (const panel of document.querySelectorAll('.panel')) {
    const name = 'panel "' + panel.querySelector('h3').textContent + '"';
    const box = panel.getBoundingClientRect();
    for (const item of panel.querySelectorAll('.u-legend .u-series')) {
      const r = item.getBoundingClientRect();
      if (r.width === 0 || !inside(r, box)) problems.push(name + ': legend entry "' + item.textContent + '" is cut off');
    }
    for (const legend of panel.querySelectorAll('.u-legend'))
      if (legend.scrollHeight > legend.clientHeight + 1) problems.push(name + ': legend scrolls');
    for (const canvas of panel.querySelectorAll('canvas')) {
      const c = canvas.getBoundingClientRect();
      const sx = c.width / canvas.width;
      const sy = c.height / canvas.height;
      const texts = window.__canvasText(canvas).map((t) => ({
        text: t.text, left: c.left + t.left * sx, right: c.left + t.right * sx, top: c.top + t.top * sy, bottom: c.top + t.bottom * sy,
      }));
      if (texts.length === 0) problems.push(name + ': no axis labels were drawn');
      for (const t of texts) if (!inside(t, c) || !inside(t, box)) problems.push(name + ': axis label "' + t.text + '" is clipped');
      for (let i = 0; i < texts.length; i++)
        for (let j = i + 1; j < texts.length; j++)
          if (overlap(texts[i], texts[j])) problems.push(name + ': axis labels "' + texts[i].text + '" and "' + texts[j].text + '" overlap');
    }
    for (const el of panel.querySelectorAll('h3, .stat .value, .stat .label, th, td, .empty, .none-firing, .u-legend .u-label')) {
      const r = el.getBoundingClientRect();
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).display !== 'inline')
        problems.push(name + ': "' + el.textContent + '" overflows its box');
      if (!inside(r, box)) problems.push(name + ': "' + el.textContent + '" is outside the panel');
    }
  }
  return problems;
})()`;

async function openDashboard(uid: string, width: number, panels: number, rangeSeconds = 3600): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 1200 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(RECORD_CANVAS_TEXT);
  await page.goto(`${consoleServer.url}/#${uid}`);
  await page.waitForFunction(
    `document.querySelectorAll('.panel').length === ${panels} && Number(document.body.dataset.rendered) >= 1`,
    undefined,
    {
      timeout: 30_000,
    },
  );
  if (rangeSeconds !== 3600) {
    await page.selectOption('#range', String(rangeSeconds));
    await page.waitForFunction(`Number(document.body.dataset.rendered) >= 2`, undefined, { timeout: 30_000 });
  }
  // Every panel has drawn (the history gives each query series; only the Alerts panel is empty on purpose).
  const states = (await page.evaluate(
    `[...document.querySelectorAll('.panel')].map((p) => p.dataset.panelId + ':' + p.dataset.state).join(' ')`,
  )) as string;
  expect(
    states.split(' ').filter((s) => !/:(ok|empty)$/.test(s)),
    `panel states: ${states}`,
  ).toEqual([]);
  expect(errors).toEqual([]);
  return page;
}

describe('console layout', () => {
  // A short range puts a date under the first tick (uPlot's default); a narrow window crowds the ticks.
  const cases = dashboards.flatMap((d) => [1600, 1100].flatMap((width) => [3600, 300].map((range) => [d.uid, width, range, d] as const)));

  it.each(cases)(
    '%s at %i px over %i s: every legend entry, axis label and text is whole and clear of its neighbours',
    async (uid, width, range, d) => {
      const page = await openDashboard(uid, width, d.panels.length, range);
      expect(await page.locator('.panel .uplot').count()).toBe(d.panels.filter((p) => p.type === 'timeseries').length);
      const problems = (await page.evaluate(LAYOUT_PROBLEMS)) as string[];
      expect(problems).toEqual([]);
      if (uid === 'event-bus-overview' && width === 1600 && range === 3600)
        await page.screenshot({ path: '/tmp/console-after.png', fullPage: true });
      await page.close();
    },
    60_000,
  );

  it('lists dashboards by title and says "none firing" on a healthy Alerts panel', async () => {
    const overview = dashboards.find((d) => d.uid === 'event-bus-overview')!;
    const page = await openDashboard(overview.uid, 1600, overview.panels.length);
    expect(await page.locator('#dashboard option').allTextContents()).toEqual(dashboards.map((d) => d.title));
    const alerts = overview.panels.find((p) => p.targets?.some((t) => /\bALERTS\b/.test(t.expr ?? '')))!;
    const body = page.locator(`.panel[data-panel-id="${alerts.id}"] .body`);
    expect(await page.locator(`.panel[data-panel-id="${alerts.id}"]`).getAttribute('data-state')).toBe('ok');
    expect(await body.textContent()).toBe('none firing');
    expect(await body.locator('.none-firing').count()).toBe(1);
    await page.close();
  }, 60_000);
});
