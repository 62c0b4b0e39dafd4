// Closed-loop HTTP load for throughput: `concurrency` requests always in flight over keep-alive
// connections for `durationMs` after a warm-up. Used only by the benchmark, which compares targets
// measured the same way in the same run.
import http from 'node:http';
import { percentile } from '../../app/telemetry/percentile.ts';

export type ThroughputResult = { requests: number; ok: number; errors: number; perSecond: number; p50Ms: number; p99Ms: number };

export async function closedLoop(options: {
  url: string;
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  request: () => { body: string; headers: Record<string, string> };
}): Promise<ThroughputResult> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const send = () =>
    new Promise<number>((resolve) => {
      const { body, headers } = options.request();
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  const measureFrom = started + options.warmupMs;
  const stopAt = measureFrom + options.durationMs;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < stopAt) {
        const t0 = performance.now();
        const status = await send();
        const t1 = performance.now();
        if (t0 < measureFrom) continue;
        latencies.push(t1 - t0);
        if (status >= 200 && status < 300) ok++;
        else errors++;
      }
    }),
  );
  agent.destroy();
  return {
    requests: ok + errors,
    ok,
    errors,
    perSecond: ok / (options.durationMs / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}
