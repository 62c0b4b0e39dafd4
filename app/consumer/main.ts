// Consumer process: hosts the Q2Q AI, Journey and Safety durable consumers.
import { connectToBus } from '../bus/connection.ts';
import { loadConfigOrExit } from '../config/env.ts';
import { listen, shutdownOnSignals } from '../http/listen.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createApp } from './app.ts';
import { parseConsumerConfig } from './config.ts';
import { ensureDurableConsumer, pendingCount, runConsumer } from './durable-consumers.ts';
import { createHandlers } from './handlers/index.ts';
import { openInbox } from './inbox.ts';
import { createConsumerMetrics } from './metrics.ts';
import { processBatch } from './process-message.ts';

const config = loadConfigOrExit('consumer', () => parseConsumerConfig(process.env));
const logger = createLogger('consumer');
const handlers = createHandlers({ safetyWords: config.safetyWords });
const inbox = openInbox(config.dbPath, handlers.map((h) => h.schema), { dedup: config.dedup });
if (!config.dedup) logger.warn('CONSUMER_DEDUP=false: redeliveries run the handlers again (Phase 1 reproduction)');

const pending = new Map<string, number>();
const metrics = createConsumerMetrics(() => pending);

const bus = await connectToBus({ servers: config.nats.servers, name: 'csr-consumers', logger });
const durable = { stream: config.nats.stream, subjectPrefix: config.nats.subjectPrefix, ackWaitMs: config.ackWaitMs, maxDeliver: config.maxDeliver };

// The gateway creates the stream; until it has, keep trying rather than crash-looping.
for (const handler of handlers) {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureDurableConsumer(bus.nc, handler.consumer, durable);
      break;
    } catch (err) {
      logger.warn({ consumer: handler.consumer, err: (err as Error).message, attempt }, 'cannot create consumer yet (is the gateway up?), retrying');
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
    }
  }
}

const runners = handlers.map((handler) =>
  runConsumer(bus.nc, config.nats.stream, handler.consumer, (msgs) =>
    processBatch(msgs, { inbox, handler, metrics, logger, maxDeliver: config.maxDeliver, handlerDelayMs: config.handlerDelayMs }), logger),
);

// Pending counts come from the server; polled rather than fetched per scrape so a slow NATS cannot stall /metrics.
const refreshPending = () => {
  for (const handler of handlers) {
    pendingCount(bus.nc, config.nats.stream, handler.consumer)
      .then((n) => pending.set(handler.consumer, n))
      .catch(() => undefined);
  }
};
refreshPending();
const pollPending = setInterval(refreshPending, 5000);

const app = createApp({
  status: () => ({
    connected: bus.isConnected(),
    consumers: Object.fromEntries(handlers.map((h) => [h.consumer, { pending: pending.get(h.consumer) ?? null, deadLettered: inbox.deadLetterCount(h.consumer) }])),
  }),
});
const server = await listen(app, config.host, config.port);
logger.info({ port: config.port, consumers: handlers.map((h) => h.consumer) }, 'consumers running');

shutdownOnSignals(server, logger, { graceMs: 5000 }, async () => {
  clearInterval(pollPending);
  await Promise.all(runners.map((r) => r.stop()));
  await bus.drain();
  inbox.close();
});
