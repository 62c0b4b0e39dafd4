// The demo's control API (loopback, admin token): lets `npm run drill` kill and restart the demo's
// own processes, which it cannot reach otherwise.
import { createServer, type Server } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Stack } from '../stack/stack.ts';

export type ControlInfo = { prometheusUrl: string; alertmanagerUrl: string; publisherUrl: string; gatewayUrl: string; webhookUrl: string };
export const CONTROLLED = ['gateway', 'publisher', 'consumer', 'nats'] as const;
export type Controlled = (typeof CONTROLLED)[number];

const digest = (s: string) => createHash('sha256').update(s).digest();

export async function startControlServer(options: { port: number; token: string; stack: Stack; info: ControlInfo }): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const { stack, token } = options;
  const target = (name: Controlled) => (name === 'nats' ? stack.nats : stack[name]);
  const server = createServer((req, res) => {
    const presented = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!presented || !timingSafeEqual(digest(presented), digest(token))) return void res.writeHead(401).end();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        if (req.method === 'GET' && req.url === '/control/info') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(options.info));
        const match = /^\/control\/(gateway|publisher|consumer|nats)\/(kill|start)$/.exec(req.url ?? '');
        if (req.method !== 'POST' || !match) return void res.writeHead(404).end();
        const service = target(match[1] as Controlled);
        if (match[2] === 'kill') await service.kill();
        else {
          const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { env?: Record<string, string> }) : {};
          if (service.isRunning()) await service.kill();
          await (service.start as (env?: Record<string, string>) => Promise<void>)(body.env);
        }
        res.writeHead(204).end();
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end((err as Error).message);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return { url: `http://127.0.0.1:${options.port}`, server, close: () => new Promise((r) => server.close(() => r())) };
}
