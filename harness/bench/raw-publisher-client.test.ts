import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buddyEvent } from '../load/event-factory.ts';
import { rawPublisherClient } from './raw-publisher-client.ts';

let server: Server;
let url: string;
let connections = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{}'));
  });
  server.keepAliveTimeout = 2000;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the bench client of the publisher API', () => {
  it.each([
    ['reuses a socket idle for less than its limit', 50, 1],
    // The server would close it soon: a request written then could be reset unanswered.
    ['opens a new socket instead of one idle for longer', 400, 2],
  ])('%s', async (_name, pauseMs, expectedConnections) => {
    const client = rawPublisherClient({ url }, { reuseIdleMs: 200 });
    const before = connections;
    expect(await client.create(buddyEvent(1))).toMatchObject({ ok: true, status: 202 });
    await sleep(pauseMs);
    expect(await client.create(buddyEvent(2))).toMatchObject({ ok: true, status: 202 });
    expect(connections - before).toBe(expectedConnections);
    client.close();
  });
});
