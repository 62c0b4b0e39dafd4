// The webhook's own HTTP client: its response parser as tables, then the client against real
// servers on loopback (node:http, and raw sockets for answers node:http would not give).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChunkedState, keepAliveHttp, MAX_HEAD_BYTES, parseResponseHead, readChunked } from './keep-alive-http.ts';

const b = (text: string) => Buffer.from(text, 'latin1');

describe('parseResponseHead', () => {
  it.each([
    ['HTTP/1.1 202 Accepted\r\ncontent-length: 12\r\n', undefined],
    [
      'HTTP/1.1 202 Accepted\r\nContent-Length: 12\r\n\r\n{"ok":true}',
      { status: 202, framing: { kind: 'length', length: 12 }, keepAlive: true, retryAfter: null },
    ],
    [
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
      { status: 200, framing: { kind: 'chunked' }, keepAlive: true, retryAfter: null },
    ],
    [
      'HTTP/1.1 503 Service Unavailable\r\nRetry-After:  7 \r\nretry-after: 9\r\ncontent-length: 0\r\n\r\n',
      { status: 503, framing: { kind: 'length', length: 0 }, keepAlive: true, retryAfter: '7' },
    ],
    [
      'HTTP/1.1 202 Accepted\r\nConnection: close\r\ncontent-length: 0\r\n\r\n',
      { status: 202, framing: { kind: 'length', length: 0 }, keepAlive: false, retryAfter: null },
    ],
    [
      'HTTP/1.0 202 Accepted\r\ncontent-length: 0\r\n\r\n',
      { status: 202, framing: { kind: 'length', length: 0 }, keepAlive: false, retryAfter: null },
    ],
    [
      'HTTP/1.0 202 Accepted\r\nConnection: Keep-Alive\r\ncontent-length: 0\r\n\r\n',
      { status: 202, framing: { kind: 'length', length: 0 }, keepAlive: true, retryAfter: null },
    ],
    ['HTTP/1.1 204 No Content\r\n\r\n', { status: 204, framing: { kind: 'none' }, keepAlive: true, retryAfter: null }],
    ['HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n', { status: 103, framing: { kind: 'none' }, keepAlive: true, retryAfter: null }],
    // Neither a length nor chunked: the body runs to the end of the connection, which cannot be reused.
    ['HTTP/1.1 200 OK\r\n\r\nhello', { status: 200, framing: { kind: 'until-close' }, keepAlive: false, retryAfter: null }],
  ])('%j', (text, expected) => {
    const head = parseResponseHead(b(text));
    if (expected === undefined) expect(head).toBeUndefined();
    else expect(head).toEqual({ ...expected, headLength: text.indexOf('\r\n\r\n') + 4 });
  });

  it.each([
    ['SSH-2.0-OpenSSH\r\n\r\n', 'HPE_INVALID_CONSTANT'],
    ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
    ['HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
    [`HTTP/1.1 200 OK\r\nx: ${'a'.repeat(MAX_HEAD_BYTES)}`, 'HPE_HEADER_OVERFLOW'],
  ])('refuses %j', (text, code) => {
    expect(() => parseResponseHead(b(text))).toThrow(expect.objectContaining({ code }));
  });
});

describe('readChunked', () => {
  const body = '5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n';

  it('reads a whole body, and stops at its end', () => {
    expect(readChunked({ at: 'size' }, b(`${body}NEXT`))).toEqual({ state: { at: 'done' }, used: body.length });
  });

  it('reads the same body however it is split', () => {
    for (const size of [1, 2, 3, 7]) {
      let state: ChunkedState = { at: 'size' };
      let pending = Buffer.alloc(0);
      for (let i = 0; i < body.length; i += size) {
        pending = Buffer.concat([pending, b(body.slice(i, i + size))]);
        const step = readChunked(state, pending);
        state = step.state;
        pending = pending.subarray(step.used);
      }
      expect([state, pending.length]).toEqual([{ at: 'done' }, 0]);
    }
  });

  it.each([
    ['zz\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['2\r\nabX\r\n', 'HPE_STRICT'],
  ])('refuses %j', (text, code) => {
    expect(() => readChunked({ at: 'size' }, b(text))).toThrow(expect.objectContaining({ code }));
  });
});

describe('keepAliveHttp against real servers', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  /** A node:http server; `connections` counts the sockets it accepted. */
  async function httpServer(handle: Parameters<typeof createServer>[1]) {
    const server: Server = createServer(handle);
    const stats = { connections: 0 };
    server.on('connection', () => stats.connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => server.close() && server.closeAllConnections());
    return { url: new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/webhooks/events?x=1`), stats, server };
  }

  /** A raw TCP server: `onRequest` gets the socket once a request's head and body have arrived. */
  async function rawServer(onRequest: (socket: Socket) => void) {
    const server: NetServer = createNetServer((socket) => {
      let seen = '';
      socket.on('data', (chunk) => {
        seen += chunk.toString('latin1');
        const end = seen.indexOf('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(seen)?.[1] ?? 0);
        if (end >= 0 && seen.length >= end + 4 + length) {
          seen = seen.slice(end + 4 + length);
          onRequest(socket);
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const sockets = new Set<Socket>();
    server.on('connection', (s) => sockets.add(s));
    closers.push(() => {
      for (const s of sockets) s.destroy();
      server.close();
    });
    return new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/hook`);
  }

  const post = (client: ReturnType<typeof keepAliveHttp>, url: URL, timeoutMs = 2000) =>
    client.post({
      url,
      headers: [
        ['content-type', 'application/json'],
        ['content-length', 11],
        ['webhook-id', 'evt-1'],
      ],
      body: '{"a":"bcd"}',
      timeoutMs,
    });

  it('sends the head and body, and reuses one socket for requests one after another', async () => {
    const seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
    const { url, stats } = await httpServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
      });
    });
    const client = keepAliveHttp({ maxSockets: 8 });
    for (let i = 0; i < 3; i++) expect(await post(client, url)).toEqual({ kind: 'response', status: 202, retryAfter: null });
    expect(stats.connections).toBe(1);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/webhooks/events?x=1',
      headers: { host: url.host, connection: 'keep-alive', 'content-type': 'application/json', 'webhook-id': 'evt-1' },
      body: '{"a":"bcd"}',
    });
  });

  it('reads chunked answers, skips 103 Early Hints, hands over Retry-After, and still reuses the socket', async () => {
    const { url, stats } = await httpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeEarlyHints({ link: '</style.css>; rel=preload' });
        res.writeHead(429, { 'retry-after': '7' });
        res.write('slow ');
        setTimeout(() => res.end('down'), 5);
      });
    });
    const client = keepAliveHttp({ maxSockets: 8 });
    expect(await post(client, url)).toEqual({ kind: 'response', status: 429, retryAfter: '7' });
    expect(await post(client, url)).toEqual({ kind: 'response', status: 429, retryAfter: '7' });
    expect(stats.connections).toBe(1);
  });

  it('opens a new socket after an answer that said Connection: close', async () => {
    const { url, stats } = await httpServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(202, { connection: 'close' }).end());
    });
    const client = keepAliveHttp({ maxSockets: 8 });
    await post(client, url);
    await post(client, url);
    expect(stats.connections).toBe(2);
  });

  it('opens a new socket when the server closed the idle one (its keep-alive timeout)', async () => {
    let connections = 0;
    const url = await rawServer((socket) => {
      socket.write('HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n');
      setTimeout(() => socket.end(), 20);
    });
    const client = keepAliveHttp({ maxSockets: 8 });
    const counted = (answer: unknown) => {
      connections = client.openSockets(url.host);
      return answer;
    };
    expect(counted(await post(client, url))).toMatchObject({ status: 202 });
    expect(connections).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(client.openSockets(url.host)).toBe(0);
    expect(await post(client, url)).toMatchObject({ status: 202 });
  });

  it('takes a body that runs to the end of the connection as the answer', async () => {
    const url = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nall of it'));
    expect(await post(keepAliveHttp({ maxSockets: 8 }), url)).toEqual({ kind: 'response', status: 200, retryAfter: null });
  });

  it('fails with ECONNRESET when the connection ends before the answer is complete, as node:http does', async () => {
    const url = await rawServer((socket) => socket.end('HTTP/1.1 202 Accepted\r\ncontent-length: 100\r\n\r\nshort'));
    expect(await post(keepAliveHttp({ maxSockets: 8 }), url)).toEqual({ kind: 'connection', message: 'ECONNRESET' });
  });

  it('fails with the parser error code on an answer that is not HTTP', async () => {
    const url = await rawServer((socket) => socket.write('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    expect(await post(keepAliveHttp({ maxSockets: 8 }), url)).toEqual({ kind: 'connection', message: 'HPE_INVALID_CONSTANT' });
  });

  it('fails with ECONNREFUSED when nothing listens', async () => {
    const url = await rawServer(() => undefined);
    closers.pop()!();
    await new Promise((r) => setTimeout(r, 20));
    expect(await post(keepAliveHttp({ maxSockets: 8 }), url)).toEqual({ kind: 'connection', message: 'ECONNREFUSED' });
  });

  it('times out an answer that never comes, and drops its socket', async () => {
    const url = await rawServer(() => undefined);
    const client = keepAliveHttp({ maxSockets: 8 });
    const startedAt = performance.now();
    expect(await post(client, url, 100)).toEqual({ kind: 'timeout' });
    expect(performance.now() - startedAt).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 20));
    expect(client.openSockets(url.host)).toBe(0);
  });

  it('queues requests beyond maxSockets and answers every one', async () => {
    const { url, stats } = await httpServer((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.writeHead(202).end(), 10));
    });
    const client = keepAliveHttp({ maxSockets: 2 });
    const answers = await Promise.all(Array.from({ length: 7 }, () => post(client, url)));
    expect(answers.every((a) => a.kind === 'response' && a.status === 202)).toBe(true);
    expect(stats.connections).toBe(2);
  });

  it('refuses a header value that would split the head, before sending anything', () => {
    const client = keepAliveHttp({ maxSockets: 8 });
    expect(() =>
      client.post({ url: new URL('http://127.0.0.1:9/'), headers: [['webhook-id', 'a\r\nx-injected: 1']], body: '', timeoutMs: 100 }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CHAR' }));
  });
});
