// The webhook POST over plain http: a pool of keep-alive sockets per gateway, one write per request,
// and a parser that reads a response's status, Retry-After and framing, and skips its body. node:http's
// client (ClientRequest, Agent, IncomingMessage streams) cost 80-95 µs of CPU per request, this 22-28 µs
// (signing included), and the publisher's CPU per delivered event fell from 307 to 260 µs at 1,500/s
// (medians of 3 A/B runs). https still goes through node:https.
//
// It behaves as node:http with a keep-alive Agent did: at most `maxSockets` sockets per origin, the
// most recently freed one reused first, idle sockets unreferenced (they keep no process alive) and
// given TCP keep-alive; a connection that ends before its response is complete fails with
// ECONNRESET ("socket hang up"); a socket is reused only after a complete response that did not
// say `Connection: close`.
import { connect, type Socket } from 'node:net';

export type HttpAnswer =
  | { kind: 'response'; status: number; retryAfter: string | null }
  | { kind: 'timeout' }
  | { kind: 'connection'; message: string };

/** How the body that follows a response head is delimited (RFC 9112 section 6.3). */
export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'until-close' };

export type ResponseHead = {
  status: number;
  /** Where the body starts: the head's length, blank line included. */
  headLength: number;
  framing: BodyFraming;
  keepAlive: boolean;
  retryAfter: string | null;
};

/** node:http's limit on a response head (--max-http-header-size). */
export const MAX_HEAD_BYTES = 16 * 1024;

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

/** An error that names what went wrong as node:http's parser would (its `code`). */
function parseError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/**
 * The head of the response at the start of `buf`; undefined until the blank line has arrived.
 * Throws (an error with a `code`) on what is not an HTTP/1.x response.
 */
export function parseResponseHead(buf: Buffer): ResponseHead | undefined {
  const end = buf.indexOf(HEAD_END);
  if (end < 0) {
    if (buf.length > MAX_HEAD_BYTES) throw parseError('HPE_HEADER_OVERFLOW', 'Header overflow');
    return undefined;
  }
  if (end + 4 > MAX_HEAD_BYTES) throw parseError('HPE_HEADER_OVERFLOW', 'Header overflow');
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]!);
  if (!statusLine) throw parseError('HPE_INVALID_CONSTANT', 'Expected HTTP/');
  const http10 = statusLine[1] === '0';
  const status = Number(statusLine[2]);
  let contentLength: number | undefined;
  let chunked = false;
  let connection = '';
  let retryAfter: string | null = null;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw parseError('HPE_INVALID_HEADER_TOKEN', 'Invalid header token');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d+$/.test(value) || (contentLength !== undefined && contentLength !== Number(value)))
        throw parseError('HPE_UNEXPECTED_CONTENT_LENGTH', 'Invalid Content-Length');
      contentLength = Number(value);
    } else if (name === 'transfer-encoding') chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
    else if (name === 'connection') connection += `,${value.toLowerCase()}`;
    // As node:http: a repeated Retry-After keeps its first value.
    else if (name === 'retry-after' && retryAfter === null) retryAfter = value;
  }
  const closes = /(?:^|,)\s*close\s*(?:,|$)/.test(connection);
  const keepsAlive = /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(connection);
  const framing: BodyFraming =
    (status >= 100 && status < 200) || status === 204 || status === 304
      ? { kind: 'none' }
      : chunked
        ? { kind: 'chunked' }
        : contentLength !== undefined
          ? { kind: 'length', length: contentLength }
          : { kind: 'until-close' };
  return {
    status,
    headLength: end + 4,
    framing,
    keepAlive: framing.kind !== 'until-close' && !closes && (!http10 || keepsAlive),
    retryAfter,
  };
}

/** Where a chunked body stands: inside a chunk (`remaining` bytes to go), or at a size, CRLF or trailer line. */
export type ChunkedState = { at: 'size' } | { at: 'data'; remaining: number } | { at: 'data-end' } | { at: 'trailers' } | { at: 'done' };

/** Reads as much of a chunked body from `buf` as it holds: the new state and the bytes used. Throws on a malformed body. */
export function readChunked(state: ChunkedState, buf: Buffer): { state: ChunkedState; used: number } {
  let used = 0;
  let s = state;
  while (s.at !== 'done') {
    if (s.at === 'data') {
      const take = Math.min(s.remaining, buf.length - used);
      used += take;
      s = take === s.remaining ? { at: 'data-end' } : { at: 'data', remaining: s.remaining - take };
      if (s.at === 'data') break;
      continue;
    }
    const eol = buf.indexOf(CRLF, used);
    if (eol < 0) {
      if (buf.length - used > MAX_HEAD_BYTES) throw parseError('HPE_INVALID_CHUNK_SIZE', 'Invalid chunk size');
      break;
    }
    const line = buf.toString('latin1', used, eol);
    used = eol + 2;
    if (s.at === 'data-end') {
      if (line !== '') throw parseError('HPE_STRICT', 'Expected CRLF after chunk');
      s = { at: 'size' };
    } else if (s.at === 'size') {
      const size = /^([0-9a-fA-F]{1,8})[ \t]*(?:;.*)?$/.exec(line);
      if (!size) throw parseError('HPE_INVALID_CHUNK_SIZE', 'Invalid character in chunk size');
      const length = Number.parseInt(size[1]!, 16);
      s = length === 0 ? { at: 'trailers' } : { at: 'data', remaining: length };
    } else if (line === '') s = { at: 'done' };
  }
  return { state: s, used };
}

// node:http's check of header values: no CR, LF or other control characters.
const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

export type PostRequest = {
  /** http: only, without credentials in it (webhook.ts sends anything else through node:http). */
  url: URL;
  /** Header names and values, in order; Host and Connection are added. */
  headers: readonly (readonly [string, string | number])[];
  body: string;
  timeoutMs: number;
};

type Job = { url: URL; head: string; body: string; settle: (answer: HttpAnswer) => void; conn?: Connection };

type Connection = {
  socket: Socket;
  job?: Job;
  pending: Buffer;
  head?: ResponseHead;
  remaining: number;
  chunked: ChunkedState;
  error?: NodeJS.ErrnoException;
  closed: boolean;
};

type Pool = { idle: Connection[]; open: number; queue: Job[] };

export type KeepAliveHttp = {
  post(request: PostRequest): Promise<HttpAnswer>;
  /** Sockets open to a host (`host:port`), busy or idle. */
  openSockets(host: string): number;
};

export function keepAliveHttp(options: { maxSockets: number; keepAliveMsecs?: number }): KeepAliveHttp {
  const pools = new Map<string, Pool>();

  const poolOf = (url: URL): Pool => {
    let pool = pools.get(url.host);
    if (!pool) {
      pool = { idle: [], open: 0, queue: [] };
      pools.set(url.host, pool);
    }
    return pool;
  };

  const unidle = (conn: Connection, pool: Pool) => {
    const at = pool.idle.indexOf(conn);
    if (at >= 0) pool.idle.splice(at, 1);
  };

  function send(conn: Connection, job: Job): void {
    conn.job = job;
    job.conn = conn;
    conn.socket.ref();
    conn.socket.write(job.head + job.body);
  }

  function finish(conn: Connection, pool: Pool, answer: HttpAnswer, reusable: boolean): void {
    const job = conn.job!;
    conn.job = undefined;
    conn.head = undefined;
    job.settle(answer);
    // Bytes beyond the answer were never asked for: the socket cannot be trusted with another request.
    if (!reusable || conn.pending.length > 0 || conn.closed) return void conn.socket.destroy();
    const next = pool.queue.shift();
    if (next) send(conn, next);
    else {
      conn.socket.unref();
      pool.idle.push(conn);
    }
  }

  function onData(conn: Connection, pool: Pool, chunk: Buffer): void {
    // Nothing was asked on an idle socket: whatever comes now cannot be framed, so the socket goes.
    if (!conn.job) return void conn.socket.destroy();
    conn.pending = conn.pending.length > 0 ? Buffer.concat([conn.pending, chunk]) : chunk;
    try {
      while (!conn.head) {
        const head = parseResponseHead(conn.pending);
        if (!head) return;
        conn.pending = conn.pending.subarray(head.headLength);
        if (head.status === 101) throw parseError('HPE_INVALID_STATUS', 'Unexpected protocol switch');
        // 1xx (100 Continue, 103 Early Hints) come before the answer: skipped.
        if (head.status < 200) continue;
        conn.head = head;
        conn.remaining = head.framing.kind === 'length' ? head.framing.length : 0;
        conn.chunked = { at: 'size' };
      }
      const { head } = conn;
      if (head.framing.kind === 'until-close') {
        conn.pending = Buffer.alloc(0);
        return;
      }
      if (head.framing.kind === 'length') {
        const take = Math.min(conn.remaining, conn.pending.length);
        conn.remaining -= take;
        conn.pending = conn.pending.subarray(take);
        if (conn.remaining > 0) return;
      } else if (head.framing.kind === 'chunked') {
        const { state, used } = readChunked(conn.chunked, conn.pending);
        conn.chunked = state;
        conn.pending = conn.pending.subarray(used);
        if (state.at !== 'done') return;
      }
      finish(conn, pool, { kind: 'response', status: head.status, retryAfter: head.retryAfter }, head.keepAlive);
    } catch (err) {
      conn.error = err as NodeJS.ErrnoException;
      conn.socket.destroy();
    }
  }

  function onClose(conn: Connection, pool: Pool): void {
    conn.closed = true;
    pool.open--;
    unidle(conn, pool);
    const { job, head } = conn;
    if (job) {
      // A body delimited by the end of the connection is complete now; anything else was cut short.
      if (head?.framing.kind === 'until-close' && !conn.error)
        finish(conn, pool, { kind: 'response', status: head.status, retryAfter: head.retryAfter }, false);
      else {
        conn.job = undefined;
        const err = conn.error ?? Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        job.settle({ kind: 'connection', message: err.code ?? err.message });
      }
    }
    // A slot is free: the first request waiting for one gets a new socket.
    const next = pool.queue.shift();
    if (next) open(pool, next);
  }

  function open(pool: Pool, job: Job): void {
    const { url } = job;
    let socket: Socket;
    try {
      socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80), noDelay: true });
    } catch (err) {
      // An address net refuses outright (a bad port): this request fails, nothing is left open.
      const { code, message } = err as NodeJS.ErrnoException;
      job.settle({ kind: 'connection', message: code ?? message });
      return;
    }
    pool.open++;
    socket.setKeepAlive(true, options.keepAliveMsecs ?? 1000);
    const conn: Connection = { socket, pending: Buffer.alloc(0), remaining: 0, chunked: { at: 'size' }, closed: false };
    socket.on('data', (chunk: Buffer) => onData(conn, pool, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      conn.error ??= err;
    });
    // The gateway closed an idle connection (its keep-alive timeout): not to be handed out again.
    socket.on('end', () => {
      if (!conn.job) {
        unidle(conn, pool);
        socket.destroy();
      }
    });
    socket.on('close', () => onClose(conn, pool));
    send(conn, job);
  }

  return {
    post(request: PostRequest): Promise<HttpAnswer> {
      const { url } = request;
      let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\n`;
      for (const [name, value] of request.headers) {
        const text = String(value);
        // As node:http: a value that could split the head is refused before anything is sent.
        if (INVALID_HEADER_VALUE.test(text))
          throw Object.assign(new TypeError(`Invalid character in header content ["${name}"]`), { code: 'ERR_INVALID_CHAR' });
        head += `${name}: ${text}\r\n`;
      }
      head += `Host: ${url.host}\r\nConnection: keep-alive\r\n\r\n`;
      const pool = poolOf(url);
      return new Promise<HttpAnswer>((resolve) => {
        let settled = false;
        let deadline: NodeJS.Timeout | undefined;
        const job: Job = {
          url,
          head,
          body: request.body,
          settle: (answer) => {
            if (settled) return;
            settled = true;
            clearTimeout(deadline);
            resolve(answer);
          },
        };
        // One deadline bounds the whole exchange: waiting for a socket, connecting, sending, the answer.
        deadline = setTimeout(() => {
          const queued = pool.queue.indexOf(job);
          if (queued >= 0) pool.queue.splice(queued, 1);
          job.settle({ kind: 'timeout' });
          if (job.conn?.job === job) {
            job.conn.job = undefined;
            job.conn.socket.destroy();
          }
        }, request.timeoutMs);
        // Most recently freed first (node's Agent schedules lifo too): the warmest socket.
        let idle = pool.idle.pop();
        while (idle && (idle.closed || !idle.socket.writable)) idle = pool.idle.pop();
        if (idle) send(idle, job);
        else if (pool.open < options.maxSockets) open(pool, job);
        else pool.queue.push(job);
      });
    },
    openSockets: (host) => pools.get(host)?.open ?? 0,
  };
}
