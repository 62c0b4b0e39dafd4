// The consumer process's HTTP face: health and metrics only; its work arrives from JetStream.
import express from 'express';
import { sendProblem } from '../http/problem-details.ts';
import type { FileGuard } from '../storage/file-guard.ts';
import { serveMetrics } from '../telemetry/sdk.ts';

export type ConsumerStatus = () => { connected: boolean; consumers: Record<string, { pending: number | null; deadLettered: number }> };

/** `inboxFile`: checked on every /health, which fails once the open inbox is no longer the file at its path. */
export function createApp(deps: { status: ConsumerStatus; inboxFile?: FileGuard }) {
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    const status = deps.status();
    const inboxFile = deps.inboxFile ? { path: deps.inboxFile.file, ...deps.inboxFile.check() } : null;
    const ok = status.connected && inboxFile?.ok !== false;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', ...status, inboxFile });
  });
  app.get('/metrics', (req, res) => serveMetrics(req, res));
  app.use((req, res) => {
    sendProblem(res, { status: 404, title: 'Not found', reason: 'not_found', detail: `${req.method} ${req.path} does not exist.` });
  });
  return app;
}
