// The consumer process's HTTP face: health and metrics only; its work arrives from JetStream.
import express from 'express';
import { sendProblem } from '../http/problem-details.ts';
import { serveMetrics } from '../telemetry/sdk.ts';

export type ConsumerStatus = () => { connected: boolean; consumers: Record<string, { pending: number | null; deadLettered: number }> };

export function createApp(deps: { status: ConsumerStatus }) {
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    const status = deps.status();
    res.status(status.connected ? 200 : 503).json({ status: status.connected ? 'ok' : 'degraded', ...status });
  });
  app.get('/metrics', (req, res) => serveMetrics(req, res));
  app.use((req, res) => {
    sendProblem(res, { status: 404, title: 'Not found', reason: 'not_found', detail: `${req.method} ${req.path} does not exist.` });
  });
  return app;
}
