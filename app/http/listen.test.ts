// Graceful close against a real server and a keep-alive client, as the publisher holds the gateway.
import { Agent, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeGracefully, listen } from './listen.ts';

const agents: Agent[] = [];
afterEach(() => {
  for (const a of agents.splice(0)) a.destroy();
});

/** A GET through `agent`: the status and the Connection header, or the error code. */
function fetchWith(agent: Agent, port: number): Promise<{ status?: number; connection?: string; error?: string }> {
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection }));
    }).on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code }));
  });
}

describe('closeGracefully', () => {
  it('finishes the request in flight, keeps no socket alive after it, and closes before the keep-alive timeout', async () => {
    const server = await listen((_req, res) => setTimeout(() => res.end('ok'), 300), '127.0.0.1', 0);
    server.keepAliveTimeout = 5000;
    const port = (server.address() as AddressInfo).port;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);

    const inFlight = fetchWith(agent, port);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const closing = closeGracefully(server, 10_000);
    expect(await inFlight).toMatchObject({ status: 200 });
    // The client's next request may still catch the kept-alive socket: it is answered, and the
    // socket closed after it. The one after that finds the port no longer listening.
    const next = await fetchWith(agent, port);
    if (next.status) expect(next).toMatchObject({ status: 200, connection: 'close' });
    expect(await fetchWith(agent, port)).toMatchObject({ error: 'ECONNREFUSED' });
    await closing;
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('answers a request that arrives on an open connection while closing, with Connection: close', async () => {
    const server = await listen((_req, res) => setTimeout(() => res.end('ok'), 200), '127.0.0.1', 0);
    const port = (server.address() as AddressInfo).port;
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    agents.push(agent);
    const first = fetchWith(agent, port);
    const second = fetchWith(agent, port);
    await new Promise((r) => setTimeout(r, 50));
    const closing = closeGracefully(server, 10_000);
    // A third request, queued on the agent, goes out on whichever socket frees first.
    const third = fetchWith(agent, port);
    const answers = await Promise.all([first, second, third]);
    expect(answers.slice(0, 2)).toMatchObject([{ status: 200 }, { status: 200 }]);
    if (answers[2]!.status) expect(answers[2]).toMatchObject({ status: 200, connection: 'close' });
    await closing;
  });

  it('cuts a connection that is still busy after the grace period', async () => {
    const server = await listen(() => undefined, '127.0.0.1', 0);
    const port = (server.address() as AddressInfo).port;
    const agent = new Agent({ keepAlive: true });
    agents.push(agent);
    const hung = fetchWith(agent, port);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await closeGracefully(server, 300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await hung).toMatchObject({ error: 'ECONNRESET' });
  });
});
