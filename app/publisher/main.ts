// Publisher process: reads the environment, opens the outbox, starts delivery, listens, handles
// SIGTERM, and re-reads its transport on SIGHUP.
import { existsSync } from 'node:fs';
import { loadConfigOrExit } from '../config/env.ts';
import { listen, shutdownOnSignals } from '../http/listen.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createApp } from './app.ts';
import { parsePublisherConfig } from './config.ts';
import { startDeliveryLoop } from './delivery-loop.ts';
import { createGatewayRotation } from './gateway-rotation.ts';
import { createPublisherMetrics } from './metrics.ts';
import { createNatsSender } from './nats-sender.ts';
import { openOutbox } from './outbox.ts';
import { createTransportSetting, readTransportFile } from './transport.ts';
import { sendWebhook } from './webhook-client.ts';

const config = loadConfigOrExit('publisher', () => parsePublisherConfig(process.env));
const logger = createLogger('publisher');
const transport = createTransportSetting(config.transportFile && existsSync(config.transportFile) ? readTransportFile(config.transportFile) : config.transport);
const outbox = openOutbox(config.outboxPath);
const metrics = createPublisherMetrics(outbox, transport.mode);
const gateways = createGatewayRotation(config.webhookUrls);
const nats = createNatsSender({ ...config.nats, timeoutMs: config.nats.publishTimeoutMs, logger });

const delivery = config.enabled
  ? startDeliveryLoop({
      outbox,
      metrics,
      logger,
      policy: config.retry,
      maxInFlight: config.maxInFlight,
      pollIntervalMs: config.pollIntervalMs,
      transportMode: transport.mode,
      send: async (row, attempt, via) => {
        if (via === 'nats') return nats.send(row);
        const url = gateways.urlFor(attempt);
        const result = await sendWebhook({ url, eventId: row.id, body: row.body, keys: config.signingKeys, timeoutMs: config.timeoutMs, nowSeconds: Math.floor(Date.now() / 1000) });
        if (result.kind !== 'response' || result.status >= 500) gateways.reportFailure(url);
        return result;
      },
    })
  : undefined;
if (!delivery) logger.warn('CSR_WEBHOOK_ENABLED=false: events are queued in the outbox but not delivered');

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

const app = createApp({ outbox, logger, delivery, adminToken: config.adminToken, transportMode: transport.mode });
const server = await listen(app, config.host, config.port);
logger.info({ port: config.port, outbox: config.outboxPath, transport: transport.mode(), webhook_urls: config.webhookUrls, signing: config.signingKeys.length > 0 }, 'publisher listening');

shutdownOnSignals(server, logger, { graceMs: 5000 }, async () => {
  await delivery?.stop();
  await nats.drain();
  outbox.close();
});
