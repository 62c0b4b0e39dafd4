// Consumer process: hosts the Q2Q AI, Journey and Safety durable consumers.
import { connectToBus } from '../bus/connection.ts';
import { isTransientBusError, retryUntilDeadline } from '../bus/start-up-retry.ts';
import { loadConfigOrExit } from '../config/env.ts';
import { listen, shutdownOnSignals } from '../http/listen.ts';
import { watchFile } from '../storage/file-guard.ts';
import { retentionProblem, sweepIntervalMs } from '../storage/retention.ts';
import { retentionSweeper } from '../storage/retention-sweep.ts';
import { openOrExit } from '../storage/sqlite.ts';
import { DEFAULT_STREAM_LIMITS } from '../bus/event-stream.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createApp } from './app.ts';
import { parseConsumerConfig } from './config.ts';
import { DurableMissingError, durableConsumerInfo, handlerMaxDeliver, pendingCount, runConsumer } from './durable-consumers.ts';
import { createHandlers } from './handlers/index.ts';
import { openInbox } from './inbox.ts';
import { createConsumerMetrics } from './metrics.ts';
import { createSharedCommit } from './shared-commit.ts';
import { releaseStartUpGarbage } from '../start/release-start-up-garbage.ts';

const config = loadConfigOrExit('consumer', () => parseConsumerConfig(process.env));
const logger = createLogger('consumer');
const handlers = createHandlers({ safetyWords: config.safetyWords });
const inbox = await openOrExit('consumer', () =>
  openInbox(
    config.dbPath,
    handlers.map((h) => h.schema),
    { dedup: config.dedup },
  ),
);
const stopInboxWatch =
  inbox.fileGuard &&
  watchFile(inbox.fileGuard, { logger, what: 'inbox', consequence: 'batches are no longer acknowledged until a restart' });
// Retention: rows older than CONSUMER_INBOX_RETENTION_MS go, in short batches on a timer.
const retentionWarning = retentionProblem(config.inboxRetentionMs, { ...DEFAULT_STREAM_LIMITS, duplicateWindowSeconds: 600 });
if (retentionWarning) logger.warn({ retentionMs: config.inboxRetentionMs }, `CONSUMER_INBOX_RETENTION_MS: ${retentionWarning}`);
const inboxSweeper = retentionSweeper(
  () => {
    const deleted = inbox.pruneBatch(Date.now() - config.inboxRetentionMs);
    if (deleted.processed || deleted.deliveryLog) logger.debug(deleted, 'inbox retention sweep');
    return deleted.more;
  },
  {
    everyMs: sweepIntervalMs(config.inboxRetentionMs),
    onError: (err) => logger.warn({ err: err.message }, 'inbox retention sweep failed; next sweep retries'),
  },
);
if (!config.dedup) logger.warn('CONSUMER_DEDUP=false: redeliveries run the handlers again (Phase 1 reproduction)');

const pending = new Map<string, number>();
const metrics = createConsumerMetrics(
  () => pending,
  () => inbox.fileGuard?.last().ok ?? true,
);

const bus = await connectToBus({ ...config.nats, identity: 'consumer', name: 'csr-consumers', logger });

// npm run nats:provision creates the durables (this identity may not); a provisioning step still
// running is waited for, one that never ran ends start-up with a clear message.
const maxDeliver = new Map<string, number>();
for (const handler of handlers) {
  try {
    const info = await retryUntilDeadline(
      `find durable ${handler.consumer}`,
      () => durableConsumerInfo(bus.nc, config.nats.stream, handler.consumer),
      {
        timeoutMs: config.startupWaitMs,
        logger,
        retryable: (err) => err instanceof DurableMissingError || isTransientBusError(err),
      },
    );
    // The durable's max_deliver is the one source of truth for when the handler parks a message.
    maxDeliver.set(handler.consumer, handlerMaxDeliver(info));
  } catch (err) {
    logger.error({ consumer: handler.consumer, err: (err as Error).message }, 'durable consumer unavailable, exiting');
    process.stderr.write(`consumer: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

const sharedCommit = createSharedCommit(inbox);
const startRunners = () =>
  handlers.map((handler) =>
    runConsumer(
      bus.nc,
      config.nats.stream,
      handler.consumer,
      (msgs) =>
        sharedCommit.process(msgs, {
          inbox,
          handler,
          metrics,
          logger,
          maxDeliver: maxDeliver.get(handler.consumer)!,
          handlerDelayMs: config.handlerDelayMs,
        }),
      logger,
    ),
  );
let runners = startRunners();
// Without its inbox file a batch cannot be acknowledged, and every redelivery would count against
// max_deliver until JetStream gave up on the message. So stop pulling: the messages wait in the
// stream, and consuming resumes if the file is put back (or after a restart).
inbox.fileGuard?.onChange((check) => {
  if (!check.ok && runners.length) {
    logger.error({ reason: check.reason }, 'inbox file lost: stopped consuming; messages wait in JetStream');
    const stopping = runners;
    runners = [];
    void Promise.all(stopping.map((r) => r.stop()));
  } else if (check.ok && !runners.length) {
    logger.warn('inbox file back in place: consuming again');
    runners = startRunners();
  }
});

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
  inboxFile: inbox.fileGuard,
  status: () => ({
    connected: bus.isConnected(),
    consumers: Object.fromEntries(
      handlers.map((h) => [h.consumer, { pending: pending.get(h.consumer) ?? null, deadLettered: inbox.deadLetterCount(h.consumer) }]),
    ),
  }),
});
const server = await listen(app, config.host, config.port);
releaseStartUpGarbage();
logger.info({ port: config.port, consumers: handlers.map((h) => h.consumer) }, 'consumers running');

shutdownOnSignals(server, logger, { graceMs: 5000 }, async () => {
  clearInterval(pollPending);
  await inboxSweeper.stop();
  stopInboxWatch?.();
  await Promise.all(runners.map((r) => r.stop()));
  await bus.drain();
  inbox.close();
});
