// A closed-loop HTTP/1.1 load generator over raw keep-alive sockets, run in worker threads, so that
// on a 2-core machine the generator is not the limit of what it measures. node:http's client costs
// about as much per request as the server under test (the bench once measured bare node:http
// slower than Express that way). Each request is a fresh, signed event built from a template.
import { createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { percentile } from '../../app/telemetry/percentile.ts';
import type { ThroughputResult } from './http-load.ts';

export type RawLoadOptions = {
  url: string;
  /** Open connections in all, each with one request in flight. */
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  /** An event as JSON whose top-level id is ID_PLACEHOLDER; each request gets its own id. */
  bodyTemplate: string;
  /** Raw signing key (the decoded whsec_ secret); unsigned requests without it. */
  signingKey?: Buffer;
  /** How the body is spoiled, for the invalid-request costs (the default: a valid event). */
  variant?: 'valid' | 'bad-signature' | 'no-signature';
  threads?: number;
};

export const ID_PLACEHOLDER = '__EVENT_ID__';

export type RawLoadResult = ThroughputResult & { generatorCpuMicrosPerRequest: number };

type WorkerInput = Omit<RawLoadOptions, 'threads'> & { startAt: number; seed: number };
type WorkerOutput = { ok: number; errors: number; latencies: number[]; cpuMicros: number };

/** The body and headers of request `n`: the template with a unique id, signed now. */
export function buildRequest(
  n: number,
  seed: number,
  options: Pick<RawLoadOptions, 'bodyTemplate' | 'signingKey' | 'variant'>,
  now = Date.now(),
): { head: string; body: string } {
  const id = `${seed.toString(16).padStart(8, '0')}-${((n >>> 16) & 0xffff).toString(16).padStart(4, '0')}-4${(n & 0xfff).toString(16).padStart(3, '0')}-8000-${n.toString(16).padStart(12, '0')}`;
  const body = options.bodyTemplate.replace(ID_PLACEHOLDER, id);
  const timestamp = Math.floor(now / 1000);
  let signature = '';
  if (options.variant !== 'no-signature' && options.signingKey) {
    const mac =
      options.variant === 'bad-signature'
        ? Buffer.alloc(32, 1).toString('base64')
        : createHmac('sha256', options.signingKey).update(`${id}.${timestamp}.${body}`).digest('base64');
    signature = `webhook-id: ${id}\r\nwebhook-timestamp: ${timestamp}\r\nwebhook-signature: v1,${mac}\r\n`;
  }
  return { head: `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${signature}`, body };
}

/** Length of the first complete HTTP response in `buf`, and its status; undefined until it is complete. */
export function completeResponse(buf: Buffer): { length: number; status: number } | undefined {
  const headerEnd = buf.indexOf('\r\n\r\n');
  if (headerEnd < 0) return undefined;
  const head = buf.toString('latin1', 0, headerEnd);
  const status = Number(head.slice(9, 12));
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    // Small bodies only: the response ends at the zero-length chunk.
    const end = buf.indexOf('\r\n0\r\n\r\n', headerEnd + 2);
    return end < 0 ? undefined : { length: end + 7, status };
  }
  const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const length = headerEnd + 4 + (match ? Number(match[1]) : 0);
  if (buf.length < length) return undefined;
  return { length, status };
}

async function runWorker(input: WorkerInput, connections: number): Promise<WorkerOutput> {
  const target = new URL(input.url);
  const requestLine = `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\n`;
  // This thread only: process.cpuUsage() would count every thread of the process in each worker.
  const cpuBefore = process.threadCpuUsage();
  const measureFrom = input.startAt + input.warmupMs;
  const stopAt = measureFrom + input.durationMs;
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let n = 0;
  const one = (socket: Socket) =>
    new Promise<void>((resolve) => {
      let pending: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      const send = () => {
        if (Date.now() >= stopAt) {
          socket.end();
          return resolve();
        }
        const { head, body } = buildRequest(n++, input.seed, input);
        sentAt = performance.now();
        socket.write(`${requestLine}${head}\r\n${body}`);
      };
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        const response = completeResponse(pending);
        if (!response) return;
        pending = pending.subarray(response.length);
        if (Date.now() >= measureFrom) {
          latencies.push(performance.now() - sentAt);
          if (response.status >= 200 && response.status < 300) ok++;
          else errors++;
        }
        send();
      });
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      send();
    });
  await Promise.all(
    Array.from({ length: connections }, () => {
      const socket = connect({ host: target.hostname, port: Number(target.port), noDelay: true });
      return new Promise<void>((resolve) => socket.once('connect', () => resolve(one(socket))).once('error', () => resolve()));
    }),
  );
  const cpu = process.threadCpuUsage(cpuBefore);
  return { ok, errors, latencies, cpuMicros: cpu.user + cpu.system };
}

if (!isMainThread && (workerData as { rawLoad?: boolean })?.rawLoad) {
  const { input, connections } = workerData as { input: WorkerInput; connections: number };
  parentPort!.postMessage(await runWorker(input, connections));
}

export async function rawClosedLoop(options: RawLoadOptions): Promise<RawLoadResult> {
  const threads = options.threads ?? 2;
  const startAt = Date.now() + 200;
  const { threads: _t, ...rest } = options;
  const outputs = await Promise.all(
    Array.from({ length: threads }, (_, i) => {
      const connections = Math.ceil(options.concurrency / threads);
      const input: WorkerInput = { ...rest, startAt, seed: (Date.now() & 0xffffff) * 16 + i };
      const worker = new Worker(new URL(import.meta.url), { workerData: { rawLoad: true, input, connections } });
      return new Promise<WorkerOutput>((resolve, reject) => worker.once('message', resolve).once('error', reject));
    }),
  );
  const ok = outputs.reduce((s, o) => s + o.ok, 0);
  const errors = outputs.reduce((s, o) => s + o.errors, 0);
  const latencies = outputs.flatMap((o) => o.latencies);
  const cpuMicros = outputs.reduce((s, o) => s + o.cpuMicros, 0);
  const requests = ok + errors;
  // The warm-up's requests cost generator CPU too; scale them in by time, as for the servers.
  const requestsIncludingWarmup = requests * ((options.durationMs + options.warmupMs) / options.durationMs);
  return {
    requests,
    ok,
    errors,
    perSecond: ok / (options.durationMs / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    generatorCpuMicrosPerRequest: Math.round(cpuMicros / Math.max(1, requestsIncludingWarmup)),
  };
}
