// A local stand-in for Slack and PagerDuty: receives Alertmanager webhook notifications, prints one
// line per alert, and keeps them for tests, drills and the console (GET /notifications).
import { createServer, type Server } from 'node:http';

export type Notification = {
  receiver: string;
  status: 'firing' | 'resolved';
  receivedAt: string;
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string }[];
};

/** The Watchdog pings (receiver `heartbeat`): kept apart, so they never crowd out real notifications. */
export type Heartbeat = { count: number; lastAt: string | null };

export type AlertReceiver = { url: string; server: Server; notifications: Notification[]; heartbeat: Heartbeat; close(): Promise<void> };

export const HEARTBEAT_RECEIVER = 'heartbeat';

export async function startAlertReceiver(
  options: { port?: number; host?: string; log?: (line: string) => void; keep?: number } = {},
): Promise<AlertReceiver> {
  const notifications: Notification[] = [];
  const keep = options.keep ?? 1000;
  const heartbeat: Heartbeat = { count: 0, lastAt: null };
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/heartbeat') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(heartbeat));
      return;
    }
    if (req.method === 'GET' && req.url?.startsWith('/notifications')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(notifications));
      return;
    }
    const match = /^\/notify\/([\w-]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<Notification, 'receiver' | 'receivedAt'>;
        if (match[1] === HEARTBEAT_RECEIVER) {
          heartbeat.count += 1;
          heartbeat.lastAt = new Date().toISOString();
          // One line when the pipeline first proves itself; then GET /heartbeat shows it is alive.
          if (heartbeat.count === 1)
            options.log?.(`[heartbeat] Watchdog arrived: Prometheus -> Alertmanager -> receiver works (GET /heartbeat)`);
          res.writeHead(200).end();
          return;
        }
        const notification: Notification = {
          receiver: match[1]!,
          status: body.status,
          receivedAt: new Date().toISOString(),
          alerts: body.alerts,
        };
        notifications.push(notification);
        if (notifications.length > keep) notifications.shift();
        for (const alert of body.alerts) {
          options.log?.(
            `[${notification.receiver}] ${alert.status.toUpperCase()} ${alert.labels.alertname} (${alert.labels.severity}, ${alert.labels.service}) ${alert.annotations.summary ?? ''} runbook: ${alert.annotations.runbook_url ?? '-'}`,
          );
        }
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    notifications,
    heartbeat,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
