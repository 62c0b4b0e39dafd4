// A listener that serves /metrics and nothing else, for a service whose metrics have a port of their
// own (WEBHOOK_METRICS_PORT): a NetworkPolicy can then admit Prometheus to that port alone.
import type { RequestListener } from 'node:http';
import { serveMetrics } from '../telemetry/sdk.ts';
import { routeMatches } from './plain-route.ts';
import { sendProblem } from './problem-details.ts';

export function metricsOnly(): RequestListener {
  return (req, res) => {
    if (routeMatches(req, 'GET', '/metrics')) serveMetrics(req, res);
    else sendProblem(res, { status: 404, title: 'Not found', reason: 'not_found', detail: 'This port serves GET /metrics only.' });
  };
}
