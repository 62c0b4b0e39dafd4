// The three durable consumers on a real JetStream stream, committing into one real inbox: every
// event is handled once by each, and batches that arrive together share a commit.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../../harness/stack/nats-server.ts';
import { waitFor } from '../../harness/stack/wait.ts';
import { buddyEnvelope } from '../../harness/load/event-factory.ts';
import { DEFAULT_STREAM_LIMITS } from '../bus/event-stream.ts';
import { EVENT_BUS_LAYOUT } from '../bus/layout.ts';
import { provisionEventBus } from '../bus/provision.ts';
import { createLogger } from '../telemetry/logger.ts';
import { runConsumer } from './durable-consumers.ts';
import { createHandlers } from './handlers/index.ts';
import { openInbox } from './inbox.ts';
import { createConsumerMetrics } from './metrics.ts';
import { createSharedCommit } from './shared-commit.ts';

describe('consumers sharing one inbox commit', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  const { stream, subjectPrefix, durables } = EVENT_BUS_LAYOUT;

  beforeAll(async () => {
    // An open development server: permissions are not what is tested here.
    server = await startNatsServer({ dir: mkdtempSync(path.join(tmpdir(), 'shared-commit-')) });
    nc = await connect({ servers: server.url });
    await provisionEventBus(nc, {
      stream: { name: stream, subjectPrefix, duplicateWindowSeconds: 600, replicas: 1, ...DEFAULT_STREAM_LIMITS, maxBytes: 1 << 30 },
      durables,
      durable: { subjectPrefix, ackWaitMs: 30_000, maxDeliver: 5 },
    });
  }, 30_000);

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('handles every event once per consumer, and commits the consumers’ batches of a round together', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'shared-commit-inbox-')), 'inbox.sqlite');
    const handlers = createHandlers({ safetyWords: [] });
    const inbox = openInbox(
      file,
      handlers.map((h) => h.schema),
    );
    const logger = createLogger('test', 'silent');
    const metrics = createConsumerMetrics(() => new Map());
    const shared = createSharedCommit(inbox);
    const events = Array.from({ length: 300 }, (_, i) => buddyEnvelope(i));
    const js = jetstream(nc);
    await Promise.all(events.map((e) => js.publish(`${subjectPrefix}.${e.type}.v${e.version}`, JSON.stringify(e), { msgID: e.id })));

    const runners = handlers.map((handler) =>
      runConsumer(
        nc,
        stream,
        handler.consumer,
        (msgs) => shared.process(msgs, { inbox, handler, metrics, logger, maxDeliver: 5, handlerDelayMs: 0 }),
        logger,
      ),
    );
    const handled = () => (inbox.db.prepare('SELECT count(*) AS n FROM processed').get() as { n: number }).n;
    await waitFor('every consumer to handle every event', () => handled() === events.length * handlers.length, { timeoutMs: 30_000 });
    await Promise.all(runners.map((r) => r.stop()));

    const perConsumer = inbox.db
      .prepare(
        'SELECT consumer, count(DISTINCT event_id) AS events, count(*) AS rows FROM delivery_log GROUP BY consumer ORDER BY consumer',
      )
      .all();
    expect(perConsumer).toEqual(
      handlers.map((h) => ({ consumer: h.consumer, events: 300, rows: 300 })).sort((a, b) => a.consumer.localeCompare(b.consumer)),
    );
    const { batches, commits } = shared.counts();
    // The three consumers pull from one stream: most rounds carry more than one consumer's batch.
    expect(commits).toBeLessThan(batches);
    inbox.close();
  });
});
