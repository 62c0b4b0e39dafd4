// The benchmark's client of the publisher API: the same requests as load/publisher-client.ts, over a
// pool of raw keep-alive sockets. On two cores the node:http client took a quarter of a core at
// 2,000 events/s, CPU the pipeline under test then did not have.
import { connect, type Socket } from 'node:net';
import type { CreateEventRequest } from '../load/event-factory.ts';
import type { CreateResult, PublisherEndpoint } from '../load/publisher-client.ts';
import { completeResponse } from './raw-load.ts';

type Waiter = { id: string; resolve: (result: CreateResult) => void; timer: NodeJS.Timeout };
type Connection = { socket: Socket; pending: Buffer; waiter?: Waiter; idleSince: number };

// Node's server closes a keep-alive socket after 5 s idle (keepAliveTimeout). A request written as
// it does so is reset unanswered, and under load the server's late timer makes that window wide:
// at 2,500/s a bench run lost 11-169 calls so. Like undici, reuse only sockets idle for less.
const REUSE_IDLE_MS = 4000;

export function rawPublisherClient(
  endpoint: PublisherEndpoint,
  options: { maxSockets?: number; timeoutMs?: number; reuseIdleMs?: number } = {},
) {
  const target = new URL('/events', endpoint.url);
  const maxSockets = options.maxSockets ?? 512;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const reuseIdleMs = options.reuseIdleMs ?? REUSE_IDLE_MS;
  const head = `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: application/json\r\n${endpoint.apiToken ? `authorization: Bearer ${endpoint.apiToken}\r\n` : ''}`;
  const idle: Connection[] = [];
  const busy = new Set<Connection>();
  const queue: { body: string; waiter: Waiter }[] = [];
  let open = 0;

  const settle = (c: Connection, result: CreateResult) => {
    const waiter = c.waiter!;
    c.waiter = undefined;
    busy.delete(c);
    clearTimeout(waiter.timer);
    waiter.resolve(result);
  };
  const send = (c: Connection, body: string, waiter: Waiter) => {
    c.waiter = waiter;
    busy.add(c);
    c.socket.write(`${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  const release = (c: Connection) => {
    const next = queue.shift();
    if (next) send(c, next.body, next.waiter);
    else {
      c.idleSince = performance.now();
      idle.push(c);
    }
  };
  const openConnection = (): Connection => {
    open++;
    const c: Connection = {
      socket: connect({ host: target.hostname, port: Number(target.port), noDelay: true }),
      pending: Buffer.alloc(0),
      idleSince: 0,
    };
    c.socket.on('data', (chunk: Buffer) => {
      c.pending = c.pending.length ? Buffer.concat([c.pending, chunk]) : chunk;
      const response = completeResponse(c.pending);
      if (!response || !c.waiter) return;
      c.pending = c.pending.subarray(response.length);
      const { status } = response;
      const id = c.waiter.id;
      settle(
        c,
        status === 202
          ? { ok: true, id, status, duplicate: false }
          : { ok: false, id, status, errorKind: status >= 500 ? 'http_5xx' : 'http_4xx' },
      );
      release(c);
    });
    let gone = false;
    const drop = (err?: NodeJS.ErrnoException) => {
      if (gone) return;
      gone = true;
      open--;
      const at = idle.indexOf(c);
      if (at >= 0) idle.splice(at, 1);
      if (c.waiter) settle(c, { ok: false, id: c.waiter.id, errorKind: err?.code === 'ECONNREFUSED' ? 'refused' : 'connection' });
    };
    c.socket.once('error', drop);
    c.socket.once('close', () => drop());
    return c;
  };

  /** The most recently freed socket that the server will not close under us; older ones are closed. */
  const reusable = (): Connection | undefined => {
    const now = performance.now();
    const fresh = idle.findIndex((c) => now - c.idleSince < reuseIdleMs);
    for (const stale of idle.splice(0, fresh === -1 ? idle.length : fresh)) stale.socket.end();
    return idle.pop();
  };

  return {
    create(event: CreateEventRequest): Promise<CreateResult> {
      return new Promise<CreateResult>((resolve) => {
        const body = JSON.stringify(event);
        const waiter: Waiter = {
          id: event.id,
          resolve,
          timer: setTimeout(() => {
            // Unknown whether it arrived: the socket is dropped, as a client timing out would.
            for (const c of busy) {
              if (c.waiter !== waiter) continue;
              c.waiter = undefined;
              busy.delete(c);
              c.socket.destroy();
            }
            const queued = queue.findIndex((q) => q.waiter === waiter);
            if (queued >= 0) queue.splice(queued, 1);
            resolve({ ok: false, id: event.id, errorKind: 'timeout' });
          }, timeoutMs),
        };
        const c = reusable() ?? (open < maxSockets ? openConnection() : undefined);
        if (c) send(c, body, waiter);
        else queue.push({ body, waiter });
      });
    },
    close(): void {
      for (const c of idle.splice(0)) c.socket.end();
    },
  };
}
