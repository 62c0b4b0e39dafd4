// A listener that serves /metrics and nothing else, for a service whose metrics have a port of their
// own (WEBHOOK_METRICS_PORT): a NetworkPolicy can then admit Prometheus to that port alone.
import type { RequestListener, Server } from 'node:http';
import { serveMetrics } from '../telemetry/sdk.ts';
import { routeMatches } from './plain-route.ts';
import { sendProblem } from './problem-details.ts';

export function metricsOnly(): RequestListener {
  return (req, res) => {
    if (routeMatches(req, 'GET', '/metrics')) serveMetrics(req, res);
    else sendProblem(res, { status: 404, title: 'Not found', reason: 'not_found', detail: 'This port serves GET /metrics only.' });
  };
}

/** Stops a server that holds no work worth waiting for: a scrape cut short is retried at the next interval. */
export async function closeNow(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
