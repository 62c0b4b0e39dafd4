// Publisher process: reads the environment, opens the outbox, starts delivery, listens, handles SIGTERM.
import { loadConfigOrExit } from '../config/env.ts';
import { listen, shutdownOnSignals } from '../http/listen.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createApp } from './app.ts';
import { parsePublisherConfig } from './config.ts';
import { startDeliveryLoop } from './delivery-loop.ts';
import { createGatewayRotation } from './gateway-rotation.ts';
import { createPublisherMetrics } from './metrics.ts';
import { openOutbox } from './outbox.ts';
import { sendWebhook } from './webhook-client.ts';

const config = loadConfigOrExit('publisher', () => parsePublisherConfig(process.env));
const logger = createLogger('publisher');
const outbox = openOutbox(config.outboxPath);
const metrics = createPublisherMetrics(outbox);

const gateways = createGatewayRotation(config.webhookUrls);
const delivery = config.enabled
  ? startDeliveryLoop({
      outbox,
      metrics,
      logger,
      policy: config.retry,
      maxInFlight: config.maxInFlight,
      pollIntervalMs: config.pollIntervalMs,
      send: async (row, attempt) => {
        const url = gateways.urlFor(attempt);
        const result = await sendWebhook({ url, eventId: row.id, body: row.body, keys: config.signingKeys, timeoutMs: config.timeoutMs, nowSeconds: Math.floor(Date.now() / 1000) });
        if (result.kind !== 'response' || result.status >= 500) gateways.reportFailure(url);
        return result;
      },
    })
  : undefined;
if (!delivery) logger.warn('CSR_WEBHOOK_ENABLED=false: events are queued in the outbox but not delivered');

const app = createApp({ outbox, logger, delivery, adminToken: config.adminToken });
const server = await listen(app, config.host, config.port);
logger.info({ port: config.port, outbox: config.outboxPath, webhook_urls: config.webhookUrls, signing: config.signingKeys.length > 0 }, 'publisher listening');

shutdownOnSignals(server, logger, { graceMs: 5000 }, async () => {
  await delivery?.stop();
  outbox.close();
});
