// The console: a small web viewer for our generated dashboards where Grafana cannot run. It serves
// the page, the dashboard JSON, and thin proxies to Prometheus and Alertmanager (so the browser
// talks to one origin). Panels are drawn by the page with uPlot.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNBOOK_BASE_URL } from '../../observability/conventions.ts';
import { BURN_WINDOW_MIN_COVERAGE, MIN_COVERAGE } from '../../slo/coverage.ts';
import { AT_RISK_BUDGET } from '../../slo/report/assess.ts';
import { durationSeconds } from '../../slo/spec.ts';
import { SLO_FIGURES } from '../src/event-bus-slo.ts';
import { REPO_ROOT } from '../../observability/repo-root.ts';
import { DASHBOARD_FILES as DASHBOARDS } from '../catalog.ts';

/** The window the SLO rules record (slo/generate-rules.ts recordedSloWindow). */
const SLO_WINDOW_SECONDS = durationSeconds('30d');
const PAGE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'page');
const UPLOT_DIR = path.join(REPO_ROOT, 'node_modules/uplot/dist');

const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: path.join(PAGE_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/assets/console.js': { file: path.join(PAGE_DIR, 'console.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/chart-layout.js': { file: path.join(PAGE_DIR, 'chart-layout.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/slo-status.js': { file: path.join(PAGE_DIR, 'slo-status.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/console.css': { file: path.join(PAGE_DIR, 'console.css'), type: 'text/css; charset=utf-8' },
  '/assets/uPlot.iife.min.js': { file: path.join(UPLOT_DIR, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/uPlot.min.css': { file: path.join(UPLOT_DIR, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

export type ConsoleOptions = { prometheusUrl: string; alertmanagerUrl?: string; host?: string; port?: number; rateInterval?: string };
export type Console = { url: string; server: Server; close(): Promise<void> };

/** The title a person knows the dashboard by, read from its generated JSON (the picker shows it). */
function dashboardTitle(file: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(REPO_ROOT, file), 'utf8')) as { title?: string }).title;
  } catch {
    return undefined;
  }
}

async function proxy(target: string, res: import('node:http').ServerResponse) {
  try {
    const upstream = await fetch(target, { signal: AbortSignal.timeout(30_000) });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  } catch (err) {
    res.writeHead(502, { 'content-type': 'application/problem+json' });
    res.end(
      JSON.stringify({
        type: 'urn:webhook-event-bus:problem:upstream_unreachable',
        title: 'Upstream unreachable',
        status: 502,
        reason: 'upstream_unreachable',
        detail: `${new URL(target).origin}: ${(err as Error).message}`,
      }),
    );
  }
}

export async function startConsole(options: ConsoleOptions): Promise<Console> {
  const prometheus = options.prometheusUrl.replace(/\/$/, '');
  const alertmanager = options.alertmanagerUrl?.replace(/\/$/, '');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://console');
    if (req.method !== 'GET') return void res.writeHead(405).end();
    const asset = ASSETS[url.pathname];
    if (asset) {
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
      return void res.end(readFileSync(asset.file));
    }
    if (url.pathname === '/api/config') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify({
          prometheusUrl: prometheus,
          alertmanagerUrl: alertmanager ?? null,
          rateInterval: options.rateInterval ?? '1m',
          // Runbook links point at the published repository; the console opens this checkout's copy.
          runbookBaseUrl: RUNBOOK_BASE_URL,
          // The SLO table reads the SLO dashboard's own expressions, and judges by the burn report's rules.
          sloFigures: SLO_FIGURES,
          sloRules: {
            windowSeconds: SLO_WINDOW_SECONDS,
            minCoverageSeconds: MIN_COVERAGE * SLO_WINDOW_SECONDS,
            burn1hMinSeconds: BURN_WINDOW_MIN_COVERAGE * 3600,
            atRiskBudget: AT_RISK_BUDGET,
          },
          dashboards: DASHBOARDS.map((d) => ({ uid: d.uid, title: dashboardTitle(d.file) })),
        }),
      );
    }
    const runbook = /^\/runbooks\/((?:[\w-]+\/)?[\w.-]+\.md)$/.exec(url.pathname);
    if (runbook && !runbook[1]!.includes('..')) {
      const file = path.join(REPO_ROOT, 'runbooks', runbook[1]!);
      if (!existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
      return void res.end(readFileSync(file));
    }
    const dashboard = /^\/api\/dashboards\/([\w-]+)$/.exec(url.pathname);
    if (dashboard) {
      const entry = DASHBOARDS.find((d) => d.uid === dashboard[1]);
      if (!entry) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(readFileSync(path.join(REPO_ROOT, entry.file)));
    }
    if (url.pathname === '/api/prometheus/query' || url.pathname === '/api/prometheus/query_range') {
      return void proxy(`${prometheus}/api/v1/${url.pathname.split('/').pop()}${url.search}`, res);
    }
    if (url.pathname === '/api/alertmanager/alerts') {
      if (!alertmanager) return void res.writeHead(404, { 'content-type': 'application/json' }).end('[]');
      return void proxy(`${alertmanager}/api/v2/alerts${url.search}`, res);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server, close: () => new Promise((r) => server.close(() => r())) };
}
