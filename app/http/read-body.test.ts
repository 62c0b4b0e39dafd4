// The body reader of the routes that bypass Express, over real HTTP on loopback: what it reads, and
// body-parser's error shapes for what it refuses (describeBodyError and unreadableBody rely on them).
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRaw } from '../../harness/stack/raw-http.ts';
import { type BodyError, readBody, readJsonBody } from './read-body.ts';

const LIMIT = 16;
let server: Server;
let url: string;
/** Errors of requests that could not be answered (the client went away). */
const unanswered: BodyError[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const read = req.url === '/json' ? readJsonBody(req, LIMIT) : readBody(req, LIMIT).then((body) => body.toString('latin1'));
    read.then(
      (value) => res.end(JSON.stringify({ value: value ?? 'undefined' })),
      (err: BodyError) => {
        if (res.socket?.destroyed) return void unanswered.push(err);
        res.statusCode = err.status;
        const { type, length, limit, body } = err;
        res.end(JSON.stringify({ error: { type, length, limit, body } }));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const request = (path: string, head: string, body = '') => `POST ${path} HTTP/1.1\r\nHost: x\r\n${head}\r\n${body}`;
const chunked = (...chunks: string[]) => `${chunks.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join('')}0\r\n\r\n`;

type Case = { send: string; status: number; answer: unknown };

/** Sends the raw request and checks what the test server answered (its status, and what it read or the error). */
async function expectAnswer({ send, status, answer }: Case) {
  const conn = await openRaw(url);
  conn.write(send);
  const res = await conn.nextResponse(2000);
  conn.destroy();
  expect(res.status).toBe(status);
  expect(JSON.parse(res.body)).toEqual(answer);
}

describe('readBody', () => {
  const cases: (Case & { name: string })[] = [
    { name: 'a declared body', send: request('/', 'Content-Length: 5\r\n', 'hello'), status: 200, answer: { value: 'hello' } },
    {
      name: 'a body of exactly the limit',
      send: request('/', 'Content-Length: 16\r\n', 'x'.repeat(16)),
      status: 200,
      answer: { value: 'x'.repeat(16) },
    },
    { name: 'an empty body', send: request('/', 'Content-Length: 0\r\n'), status: 200, answer: { value: '' } },
    {
      name: 'a chunked body',
      send: request('/', 'Transfer-Encoding: chunked\r\n', chunked('hel', 'lo')),
      status: 200,
      answer: { value: 'hello' },
    },
    {
      // Only the headers are sent: the answer comes without waiting for a byte of the body.
      name: 'a declared body over the limit, before it is sent',
      send: request('/', 'Content-Length: 17\r\n'),
      status: 413,
      answer: { error: { type: 'entity.too.large', length: 17, limit: LIMIT } },
    },
    {
      name: 'a chunked body past the limit',
      send: request('/', 'Transfer-Encoding: chunked\r\n', chunked('x'.repeat(10), 'x'.repeat(10))),
      status: 413,
      answer: { error: { type: 'entity.too.large', limit: LIMIT } },
    },
    {
      // A signature covers the bytes as sent, so nothing is inflated.
      name: 'a gzip body',
      send: request('/', 'Content-Encoding: gzip\r\nContent-Length: 5\r\n', 'hello'),
      status: 415,
      answer: { error: { type: 'encoding.unsupported' } },
    },
    {
      name: 'Content-Encoding: identity',
      send: request('/', 'Content-Encoding: Identity\r\nContent-Length: 2\r\n', 'ok'),
      status: 200,
      answer: { value: 'ok' },
    },
  ];
  it.each(cases)('$name: $status', expectAnswer);

  it('rejects with request.aborted when the client goes away mid-body', async () => {
    const conn = await openRaw(url);
    conn.write(request('/', 'Content-Length: 10\r\n', 'abc'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    conn.destroy();
    await expect.poll(() => unanswered.map((e) => e.type)).toEqual(['request.aborted']);
    expect(unanswered[0]).toMatchObject({ status: 400, length: 10 });
  });
});

describe('readJsonBody: what express.json() made of a request', () => {
  const json = (head: string, body: string) => request('/json', `${head}Content-Length: ${Buffer.byteLength(body)}\r\n`, body);
  const cases: (Case & { name: string })[] = [
    { name: 'an object', send: json('Content-Type: application/json\r\n', '{"a":1}'), status: 200, answer: { value: { a: 1 } } },
    {
      name: 'an array, utf-8 named',
      send: json('Content-Type: application/json; charset=UTF-8\r\n', '[1]'),
      status: 200,
      answer: { value: [1] },
    },
    { name: 'an empty body', send: json('Content-Type: application/json\r\n', ''), status: 200, answer: { value: {} } },
    { name: 'no content type', send: json('', '{"a":1}'), status: 200, answer: { value: 'undefined' } },
    { name: 'text/plain', send: json('Content-Type: text/plain\r\n', '{"a":1}'), status: 200, answer: { value: 'undefined' } },
    {
      name: 'a +json type, which express.json() skipped',
      send: json('Content-Type: application/x+json\r\n', '{}'),
      status: 200,
      answer: { value: 'undefined' },
    },
    { name: 'no body at all', send: request('/json', 'Content-Type: application/json\r\n'), status: 200, answer: { value: 'undefined' } },
    {
      name: 'malformed JSON, with its text for describeMalformedJson',
      send: json('Content-Type: application/json\r\n', '{"a":'),
      status: 400,
      answer: { error: { type: 'entity.parse.failed', body: '{"a":' } },
    },
    {
      name: 'valid JSON that is not an object or array (strict)',
      send: json('Content-Type: application/json\r\n', ' "a"'),
      status: 400,
      answer: { error: { type: 'entity.parse.failed', body: ' "a"' } },
    },
    {
      name: 'a charset that is no UTF',
      send: json('Content-Type: application/json; charset=latin1\r\n', '{}'),
      status: 415,
      answer: { error: { type: 'charset.unsupported' } },
    },
    {
      name: 'a body over the limit',
      send: json('Content-Type: application/json\r\n', `{"a":"${'x'.repeat(20)}"}`),
      status: 413,
      answer: { error: { type: 'entity.too.large', length: 28, limit: LIMIT } },
    },
  ];
  it.each(cases)('$name: $status', expectAnswer);
});
