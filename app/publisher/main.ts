// Publisher process: a thin shell around the publisher library. Reads the environment, opens the
// outbox, starts delivery, listens, handles SIGTERM, and re-reads its transport on SIGHUP.
import { existsSync } from 'node:fs';
import { loadConfigOrExit } from '../config/env.ts';
import { listen, shutdownOnSignals } from '../http/listen.ts';
import { openOrExit } from '../storage/sqlite.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createApp } from './app.ts';
import { parsePublisherConfig } from './config.ts';
import { openConfiguredStore } from './store/open-store.ts';
import { createWebhookPublisher } from './publisher.ts';
import { createTransportSetting, readTransportFile } from './transport.ts';
import { natsTransport } from './transports/nats.ts';
import { webhookTransport } from './transports/webhook.ts';

const config = loadConfigOrExit('publisher', () => parsePublisherConfig(process.env));
const logger = createLogger('publisher');
const transport = createTransportSetting(config.transportFile && existsSync(config.transportFile) ? readTransportFile(config.transportFile) : config.transport);
const store = await openOrExit('publisher', () => openConfiguredStore(config.store));

const publisher = createWebhookPublisher({
  store,
  transports: [
    webhookTransport({ urls: config.webhookUrls, keys: config.signingKeys, timeoutMs: config.timeoutMs, logger }),
    // Connected on first use: a publisher that never leaves the webhook transport never opens NATS.
    natsTransport({ ...config.nats, timeoutMs: config.nats.publishTimeoutMs, logger }),
  ],
  transportMode: transport.mode,
  retry: config.retry,
  breaker: config.breaker,
  delivery: { enabled: config.enabled, maxInFlight: config.maxInFlight, pollIntervalMs: config.pollIntervalMs, leaseMs: Math.max(30_000, 3 * config.timeoutMs) },
  instanceId: config.instanceId,
  logger,
});
await publisher.start();
if (!config.enabled) logger.warn('CSR_WEBHOOK_ENABLED=false: events are queued in the outbox but not delivered');

// A switch is a reload, not a restart: queued events keep their place and their per-transport
// progress, so nothing is lost or sent twice through the same path.
transport.onChange((mode, previous) => logger.warn({ transport: mode, previous }, 'transport switched'));
process.on('SIGHUP', () => {
  if (!config.transportFile) return logger.warn('SIGHUP ignored: PUBLISHER_TRANSPORT_FILE is not set');
  try {
    transport.set(readTransportFile(config.transportFile));
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'transport file rejected; keeping the current transport');
  }
});

const app = createApp({ publisher, logger, adminToken: config.adminToken, apiToken: config.apiToken });
const server = await listen(app, config.host, config.port);
logger.info(
  { port: config.port, store: config.store.kind, outbox: config.store.kind === 'sqlite' ? config.outboxPath : undefined, transport: transport.mode(), webhook_urls: config.webhookUrls, signing: config.signingKeys.length > 0 },
  'publisher listening',
);

shutdownOnSignals(server, logger, { graceMs: 5000 }, async () => {
  await publisher.stop();
  await store.close();
});
