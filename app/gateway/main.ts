// Gateway process: the only place that reads the environment, listens and handles SIGTERM.
// Run with `npm run gateway` (telemetry is preloaded there, see app/telemetry/preload.ts).
import type { AddressInfo } from 'node:net';
import { connectToBus } from '../bus/connection.ts';
import { EventStreamError, verifyEventStream } from '../bus/event-stream.ts';
import { isTransientBusError, retryUntilDeadline } from '../bus/start-up-retry.ts';
import { loadConfigOrExit } from '../config/env.ts';
import { closeGracefully, listen, shutdownOnSignals } from '../http/listen.ts';
import { metricsOnly } from '../http/metrics-listener.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createApp } from './app.ts';
import { parseGatewayConfig } from './config.ts';
import { createEventBusWriter } from './event-bus-writer.ts';
import { releaseStartUpGarbage } from '../start/release-start-up-garbage.ts';

const config = loadConfigOrExit('gateway', () => parseGatewayConfig(process.env));
const logger = createLogger('gateway');

const bus = await connectToBus({ ...config.nats, identity: 'gateway', name: 'csr-gateway', logger });
const expectedStream = {
  name: config.nats.stream,
  subjectPrefix: config.nats.subjectPrefix,
  duplicateWindowSeconds: config.nats.duplicateWindowSeconds,
  replicas: config.nats.replicas,
};
// npm run nats:provision creates the stream (this identity may not). A cluster still electing its
// leader, or a provisioning step still running, is waited for; then a missing or weaker stream
// (no dedup window, deletable, unbounded) ends start-up with a clear message.
try {
  await retryUntilDeadline('verify the event stream', () => verifyEventStream(bus.nc, expectedStream), {
    timeoutMs: config.nats.startupWaitMs,
    logger,
    retryable: (err) => err instanceof EventStreamError || isTransientBusError(err),
  });
} catch (err) {
  logger.error(
    { err: (err as Error).message, reason: err instanceof EventStreamError ? err.reason : 'unavailable' },
    'event stream unusable, exiting',
  );
  process.stderr.write(`gateway: ${(err as Error).message}\n`);
  process.exit(1);
}
const busWriter = createEventBusWriter(bus, {
  stream: config.nats.stream,
  subjectPrefix: config.nats.subjectPrefix,
  timeoutMs: config.nats.publishTimeoutMs,
  expect: { duplicateWindowSeconds: config.nats.duplicateWindowSeconds, replicas: config.nats.replicas },
});

const app = createApp({ config, busWriter, logger });
const server = await listen(app, config.host, config.port, config.server);
const metricsServer =
  config.metricsPort === undefined ? undefined : await listen(metricsOnly(), config.host, config.metricsPort, config.server);
releaseStartUpGarbage();
const metricsPort = metricsServer ? (metricsServer.address() as AddressInfo).port : config.port;
logger.info(
  { port: config.port, metrics_port: metricsPort, endpoint: config.endpoint, signature_validation: config.signature.enabled },
  'gateway listening',
);

// The metrics port stays open while requests finish, so that the last scrapes still see them; then
// it closes at once (no grace): a scrape cut short is retried at the next interval.
shutdownOnSignals(server, logger, { graceMs: config.shutdownGraceMs }, async () => {
  await Promise.all([metricsServer && closeGracefully(metricsServer, 0), bus.drain()]);
});
