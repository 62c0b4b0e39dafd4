// Listening and graceful shutdown shared by every service's main.ts.
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from '../telemetry/logger.ts';
import { stopTelemetry } from '../telemetry/sdk.ts';

export async function listen(app: Express, host: string, port: number): Promise<Server> {
  return await new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
  });
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
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = setTimeout(() => server.closeAllConnections(), options.graceMs);
    await closed;
    clearTimeout(grace);
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
