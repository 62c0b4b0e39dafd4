// Publisher process: a thin shell around the publisher library. Reads the environment, opens the
// outbox, starts delivery, listens, handles SIGTERM, and re-reads its transport mode on SIGHUP.
import { existsSync } from 'node:fs';
import { loadConfigOrExit } from '../config/env.ts';
import { listen, shutdownOnSignals } from '../http/listen.ts';
import { openOrExit } from '../storage/sqlite.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createApp } from './app.ts';
import { parsePublisherConfig } from './config.ts';
import { openConfiguredStore } from './store/open-store.ts';
import { createWebhookPublisher } from './publisher.ts';
import { createTransportModeSetting, readTransportModeFile } from './transport.ts';
import { natsTransport } from './transports/nats.ts';
import { webhookTransport } from './transports/webhook.ts';
import { releaseStartUpGarbage } from '../start/release-start-up-garbage.ts';

const config = loadConfigOrExit('publisher', () => parsePublisherConfig(process.env));
const logger = createLogger('publisher');
const { transportModeFile } = config;
const initialMode = transportModeFile && existsSync(transportModeFile) ? readTransportModeFile(transportModeFile) : config.transportMode;
const modeSetting = createTransportModeSetting(initialMode);
const store = await openOrExit('publisher', () => openConfiguredStore(config.store));

const publisher = createWebhookPublisher({
  store,
  transports: [
    webhookTransport({ urls: config.webhookUrls, keys: config.signingKeys, timeoutMs: config.timeoutMs, logger }),
    // Connected on first use: a publisher that never leaves the webhook mode never opens NATS.
    natsTransport({ ...config.nats, timeoutMs: config.nats.publishTimeoutMs, logger }),
  ],
  transportMode: modeSetting.mode,
  retry: config.retry,
  breaker: config.breaker,
  delivery: {
    enabled: config.enabled,
    maxInFlight: config.maxInFlight,
    pollIntervalMs: config.pollIntervalMs,
    leaseMs: Math.max(30_000, 3 * config.timeoutMs),
  },
  instanceId: config.instanceId,
  dualPathRetentionMs: config.dualPathRetentionMs,
  logger,
});
await publisher.start();
if (!config.enabled) logger.warn('CSR_WEBHOOK_ENABLED=false: events are queued in the outbox but not delivered');

// A switch is a reload, not a restart: queued events keep their place and their per-path
// progress, so nothing is lost or sent twice through the same path.
modeSetting.onChange((next, previous) => logger.warn({ mode: next, previous }, 'transport mode switched'));
process.on('SIGHUP', () => {
  if (!transportModeFile) return logger.warn('SIGHUP ignored: PUBLISHER_TRANSPORT_FILE is not set');
  try {
    modeSetting.set(readTransportModeFile(transportModeFile));
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'transport file rejected; keeping the current transport mode');
  }
});

const app = createApp({ publisher, logger, adminToken: config.adminToken, apiToken: config.apiToken, maxWaiting: config.apiMaxWaiting });
const server = await listen(app, config.host, config.port);
releaseStartUpGarbage();
logger.info(
  {
    port: config.port,
    store: config.store.kind,
    outbox: config.store.kind === 'sqlite' ? config.outboxPath : undefined,
    mode: modeSetting.mode(),
    webhook_urls: config.webhookUrls,
    signing: config.signingKeys.length > 0,
  },
  'publisher listening',
);

shutdownOnSignals(server, logger, { graceMs: 5000 }, async () => {
  await publisher.stop();
  await store.close();
});
