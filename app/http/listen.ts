// Listening and graceful shutdown shared by every service's main.ts.
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../telemetry/logger.ts';
import { stopTelemetry } from '../telemetry/sdk.ts';

// Node's default accept backlog is 511: a burst of new connections beyond it (thousands of callers
// at once, or a pool reconnecting) had its SYNs dropped and retried after 1, 3, 7 s, which showed
// as 10 s client timeouts in the benchmark. The kernel caps this at net.core.somaxconn.
const ACCEPT_BACKLOG = 4096;

/** Bounds on what one client can hold: a slow client is cut off, and connections beyond the cap are refused. */
export type ServerLimits = {
  /** Time to receive all request headers (Node: 60 s). */
  headersTimeoutMs: number;
  /** Time to receive the whole request, body included (Node: 300 s); the response may take longer. */
  requestTimeoutMs: number;
  /** Open connections at most; further ones are closed on accept (Node: unlimited). */
  maxConnections: number;
};

/** `app`: an Express app, or a plain handler in front of one (plain-route.ts). */
export async function listen(app: RequestListener, host: string, port: number, limits?: ServerLimits): Promise<Server> {
  // Node checks these timeouts on an interval (30 s by default), which would let a slow request
  // overstay its timeout by up to that much: check often enough to keep the overstay small.
  const server = limits
    ? createServer({ connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))) }, app)
    : createServer(app);
  if (limits) {
    server.headersTimeout = limits.headersTimeoutMs;
    server.requestTimeout = limits.requestTimeoutMs;
    server.maxConnections = limits.maxConnections;
  }
  return await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: ACCEPT_BACKLOG }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * Stops accepting and resolves once every connection is closed, cutting the rest after graceMs.
 * server.close() alone goes on serving new requests on open keep-alive connections until they idle
 * out (5 s; the publisher's pool never idles): so requests that still arrive are answered with
 * Connection: close, and connections are closed as soon as they fall idle.
 */
export async function closeGracefully(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.prependListener('request', (_req, res: ServerResponse) => res.setHeader('connection', 'close'));
  server.closeIdleConnections();
  const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
  const grace = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearInterval(idleSweep);
  clearTimeout(grace);
}

/**
 * On SIGTERM or SIGINT: stop accepting, let in-flight requests finish (up to graceMs), then run the
 * service's own cleanup (drain NATS, close the outbox), flush telemetry and exit.
 * A second signal exits at once.
 */
export function shutdownOnSignals(server: Server, logger: Logger, options: { graceMs: number }, cleanup: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await closeGracefully(server, options.graceMs);
    try {
      await cleanup();
      await stopTelemetry();
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
}
