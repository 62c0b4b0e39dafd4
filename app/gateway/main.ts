// Gateway process: the only place that reads the environment, listens and handles SIGTERM.
// Run with `npm run gateway` (telemetry is preloaded there, see app/telemetry/preload.ts).
import { connectToBus } from '../bus/connection.ts';
import { ensureEventStream } from '../bus/event-stream.ts';
import { loadConfigOrExit } from '../config/env.ts';
import { listen, shutdownOnSignals } from '../http/listen.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createApp } from './app.ts';
import { parseGatewayConfig } from './config.ts';
import { createEventPublisher } from './event-publisher.ts';

const config = loadConfigOrExit('gateway', () => parseGatewayConfig(process.env));
const logger = createLogger('gateway');

const bus = await connectToBus({ servers: config.nats.servers, name: 'csr-gateway', logger });
// A NATS cluster that is still electing its JetStream leader cannot create a stream yet: keep trying.
for (let attempt = 1; ; attempt++) {
  try {
    await ensureEventStream(bus.nc, {
      name: config.nats.stream,
      subjectPrefix: config.nats.subjectPrefix,
      duplicateWindowSeconds: config.nats.duplicateWindowSeconds,
      replicas: config.nats.replicas,
      maxAgeDays: 7,
    });
    break;
  } catch (err) {
    logger.warn({ err: (err as Error).message, attempt }, 'cannot create the event stream yet, retrying');
    await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
  }
}
const publisher = createEventPublisher(bus, {
  stream: config.nats.stream,
  subjectPrefix: config.nats.subjectPrefix,
  timeoutMs: config.nats.publishTimeoutMs,
});

const app = createApp({ config, publisher, logger });
const server = await listen(app, config.host, config.port);
logger.info({ port: config.port, endpoint: config.endpoint, signature_validation: config.signature.enabled }, 'gateway listening');

shutdownOnSignals(server, logger, { graceMs: config.shutdownGraceMs }, async () => {
  await bus.drain();
});
