import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../../harness/stack/nats-server.ts';
import {
  DEFAULT_STREAM_LIMITS,
  eventStreamConfig,
  MEASURED_STORED_EVENT_BYTES,
  EventStreamError,
  streamConfigProblems,
  verifyEventStream,
  type EventStreamOptions,
} from './event-stream.ts';
import { provisionEventBus } from './provision.ts';
import { EVENT_BUS_LAYOUT } from './layout.ts';

const options: EventStreamOptions = {
  name: EVENT_BUS_LAYOUT.stream,
  subjectPrefix: 'buddy-events',
  duplicateWindowSeconds: 600,
  replicas: 1,
  ...DEFAULT_STREAM_LIMITS,
};
const expected = { name: EVENT_BUS_LAYOUT.stream, subjectPrefix: 'buddy-events', duplicateWindowSeconds: 600, replicas: 1 };
const good = {
  subjects: ['buddy-events.>'],
  duplicate_window: nanos(600_000),
  num_replicas: 1,
  deny_delete: true,
  deny_purge: true,
  max_bytes: 1 << 30,
  max_age: nanos(86_400_000),
};

describe('the retention numbers', () => {
  it('hold seven days at the design peak of 50 events/s, with half again as much room', () => {
    const sevenDaysAtPeak = 50 * 86_400 * 7;
    expect(DEFAULT_STREAM_LIMITS.maxAgeDays).toBe(7);
    const headroom = DEFAULT_STREAM_LIMITS.maxBytes / (sevenDaysAtPeak * MEASURED_STORED_EVENT_BYTES);
    expect(headroom).toBeGreaterThan(1.4);
    expect(headroom).toBeLessThan(1.6);
  });
});

describe('streamConfigProblems', () => {
  it.each([
    { name: 'the provisioned configuration', actual: good, problems: [] },
    {
      name: 'a longer duplicate window and more replicas',
      actual: { ...good, duplicate_window: nanos(3_600_000), num_replicas: 3 },
      problems: [],
    },
    { name: 'another subject space', actual: { ...good, subjects: ['other.>'] }, problems: [/does not capture buddy-events\.>/] },
    {
      name: 'a short duplicate window',
      actual: { ...good, duplicate_window: nanos(120_000) },
      problems: [/duplicate window is 120 s, below the 600 s/],
    },
    { name: 'fewer replicas', actual: { ...good, num_replicas: 1 }, expect: { replicas: 3 }, problems: [/has 1 replica\(s\), expected 3/] },
    {
      name: 'the stream as the gateway used to create it',
      actual: { ...good, deny_delete: false, deny_purge: false, max_bytes: -1 },
      problems: [/deny_delete/, /deny_purge/, /max_bytes/],
    },
    { name: 'no age limit', actual: { ...good, max_age: 0 }, problems: [/max_age/] },
  ])('$name', ({ actual, problems, ...rest }) => {
    const found = streamConfigProblems(actual, { ...expected, ...('expect' in rest ? rest.expect : {}) });
    expect(found).toHaveLength(problems.length);
    for (const [i, p] of problems.entries()) expect(found[i]).toMatch(p);
  });
});

describe('provisioning on a real nats-server', () => {
  let server: NatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    // An open development server: what is checked here is the stream's own configuration, which
    // holds whatever a client's permissions are.
    server = await startNatsServer({ dir: mkdtempSync(path.join(tmpdir(), 'event-bus-stream-')) });
    nc = await connect({ servers: server.url });
  }, 30_000);

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('brings a stream created the old way (no limits, deletable) in line, and the gateway check then passes', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: EVENT_BUS_LAYOUT.stream, subjects: ['buddy-events.>'], duplicate_window: nanos(600_000) });
    await expect(verifyEventStream(nc, expected)).rejects.toThrow(EventStreamError);
    const outcome = await provisionEventBus(nc, {
      stream: options,
      durables: ['q2q-ai'],
      durable: { subjectPrefix: 'buddy-events', ackWaitMs: 30_000, maxDeliver: 10 },
    });
    expect(outcome).toEqual({ stream: 'updated', durables: { 'q2q-ai': 'created' } });
    const info = await verifyEventStream(nc, expected);
    expect(info.config).toMatchObject(eventStreamConfig(options));
    expect((await jsm.consumers.info(EVENT_BUS_LAYOUT.stream, 'q2q-ai')).config).toMatchObject({
      max_deliver: 11,
      ack_wait: nanos(30_000),
      filter_subject: 'buddy-events.>',
    });
  });

  it('refuses purging the stream and deleting a message, to any client', async () => {
    const jsm = await jetstreamManager(nc);
    await jetstream(nc).publish('buddy-events.buddy.match.ended.v1', '{}');
    await expect(jsm.streams.purge(EVENT_BUS_LAYOUT.stream)).rejects.toThrow(/purge not permitted|denied/i);
    await expect(jsm.streams.deleteMessage(EVENT_BUS_LAYOUT.stream, 1)).rejects.toThrow(/delete not permitted|denied/i);
    expect((await jsm.streams.info(EVENT_BUS_LAYOUT.stream)).state.messages).toBe(1);
  });

  it('names a missing stream and the step that creates it', async () => {
    await expect(verifyEventStream(nc, { ...expected, name: 'NOT_PROVISIONED' })).rejects.toThrow(
      'stream NOT_PROVISIONED does not exist: run npm run nats:provision',
    );
  });
});
