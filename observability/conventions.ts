// Where alert links point. One place to change when the repository or Grafana moves.

/** runbook_url = RUNBOOK_BASE_URL + "<AlertName>.md"; the linter maps it back to runbooks/<AlertName>.md. */
export const RUNBOOK_BASE_URL = 'https://github.com/csr-platform/webhook-event-bus/blob/main/runbooks/';

/** Grafana as the compose stack publishes it (compose/docker-compose.yml maps Grafana to port 3300). */
export const DASHBOARD_BASE_URL = 'http://localhost:3300/d/';

export const SEVERITIES = ['critical', 'warning'] as const;

/** Prometheus job names, as the scrape configuration defines them. */
export const JOBS = {
  gateway: 'webhook-gateway',
  publisher: 'webhook-publisher',
  consumer: 'event-consumer',
} as const;
