import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventBusNats, type EventBusNats } from '../../harness/stack/event-bus-nats.ts';
import { startNatsServer, type NatsServer } from '../../harness/stack/nats-server.ts';
import { type BusConnection, connectToBus } from './connection.ts';
import { jetStreamPublisher } from './jetstream-publisher.ts';
import { EVENT_BUS_LAYOUT } from './layout.ts';
import { BusPublishError, publishEvent } from './publish-event.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'jetstream-publisher-'));
const logger = pino({ level: 'silent' });
let open: NatsServer;
let secure: EventBusNats;
const buses: BusConnection[] = [];

beforeAll(async () => {
  [open, secure] = await Promise.all([
    startNatsServer({ dir: path.join(dir, 'open') }),
    startEventBusNats({ dir: path.join(dir, 'secure') }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(buses.map((b) => b.drain()));
  await Promise.allSettled([open?.stop(), secure?.stop()]);
});

/** As the gateway connects: its identity, over TLS, its replies under its own inbox prefix. */
async function gatewayBus(): Promise<BusConnection> {
  const env = secure.env('gateway');
  const bus = await connectToBus({
    servers: [secure.nodes[0]!.url],
    nkey: { seedFile: env.NATS_NKEY_SEED_FILE! },
    tls: { caFile: env.NATS_TLS_CA_FILE! },
    identity: 'gateway',
    name: 'test',
    logger,
  });
  buses.push(bus);
  return bus;
}

async function openBus(): Promise<BusConnection> {
  const bus = await connectToBus({ servers: [open.url], identity: 'gateway', name: 'test', logger });
  buses.push(bus);
  return bus;
}

let n = 0;
const event = () => ({ id: `evt-${process.pid}-${++n}`, type: 'match.created', version: 1 });
const body = '{"hello":"world"}';

async function failure(promise: Promise<unknown>): Promise<BusPublishError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(BusPublishError);
  return error as BusPublishError;
}

describe('publishEvent through jetStreamPublisher, as the gateway identity', () => {
  it('is acknowledged with the stream sequence; the same event id again is a duplicate of that sequence', async () => {
    const bus = await gatewayBus();
    const publisher = jetStreamPublisher(bus.nc, { timeoutMs: 5000 });
    const first = event();
    const a = await publishEvent(bus, publisher, EVENT_BUS_LAYOUT, first, body, {});
    const b = await publishEvent(bus, publisher, EVENT_BUS_LAYOUT, event(), body, {});
    expect(a).toEqual({ duplicate: false, sequence: expect.any(Number) });
    expect(b).toEqual({ duplicate: false, sequence: a.sequence + 1 });
    expect(await publishEvent(bus, publisher, EVENT_BUS_LAYOUT, first, body, {})).toEqual({ duplicate: true, sequence: a.sequence });
  });

  it('many publishes at once each get their own PubAck', async () => {
    const bus = await gatewayBus();
    const publisher = jetStreamPublisher(bus.nc, { timeoutMs: 5000 });
    const acks = await Promise.all(Array.from({ length: 200 }, () => publishEvent(bus, publisher, EVENT_BUS_LAYOUT, event(), body, {})));
    const sequences = acks.map((a) => a.sequence);
    expect(new Set(sequences).size).toBe(200);
    expect(acks.every((a) => !a.duplicate)).toBe(true);
  });

  it('a stream other than the expected one holding the subject is api_error, with the JetStream code', async () => {
    const bus = await gatewayBus();
    const publisher = jetStreamPublisher(bus.nc, { timeoutMs: 5000 });
    const error = await failure(publishEvent(bus, publisher, { ...EVENT_BUS_LAYOUT, stream: 'OTHER_STREAM' }, event(), body, {}));
    expect(error.reason).toBe('api_error');
    expect(error.message).toMatch(/expected stream does not match.*err_code 10060/);
  });

  it('a subject the identity may not publish on fails at once (the server says so), not after the timeout', async () => {
    const bus = await gatewayBus();
    const publisher = jetStreamPublisher(bus.nc, { timeoutMs: 10_000 });
    const started = performance.now();
    const error = await failure(publishEvent(bus, publisher, { ...EVENT_BUS_LAYOUT, subjectPrefix: 'elsewhere' }, event(), body, {}));
    expect(error.reason).toBe('unknown');
    expect(error.message).toMatch(/permissions violation/i);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('is disconnected at once after the connection is gone', async () => {
    const bus = await gatewayBus();
    const publisher = jetStreamPublisher(bus.nc, { timeoutMs: 5000 });
    await bus.drain();
    expect((await failure(publishEvent(bus, publisher, EVENT_BUS_LAYOUT, event(), body, {}))).reason).toBe('disconnected');
  });
});

describe('publishEvent through jetStreamPublisher, on a bare server', () => {
  it('sends the event, dedup and expected-stream headers JetStream stores', async () => {
    const bus = await openBus();
    const jsm = await jetstreamManager(bus.nc);
    await jsm.streams.add({ name: 'HEADERS', subjects: ['headers.>'] });
    const publisher = jetStreamPublisher(bus.nc, { timeoutMs: 5000 });
    const sent = event();
    const ack = await publishEvent(bus, publisher, { stream: 'HEADERS', subjectPrefix: 'headers' }, sent, body, { traceparent: 'tp' });
    const stored = await jsm.streams.getMessage('HEADERS', { seq: ack.sequence });
    expect(stored?.subject).toBe('headers.match.created.v1');
    expect(stored?.string()).toBe(body);
    expect(Object.fromEntries([...stored!.header].map(([k, v]) => [k, v[0]]))).toMatchObject({
      traceparent: 'tp',
      'event-type': 'match.created',
      'event-version': '1',
      'content-type': 'application/json',
      'Nats-Msg-Id': sent.id,
      'Nats-Expected-Stream': 'HEADERS',
    });
  });

  it('no stream on the subject is no_responders', async () => {
    const bus = await openBus();
    const publisher = jetStreamPublisher(bus.nc, { timeoutMs: 5000 });
    const error = await failure(publishEvent(bus, publisher, { stream: 'NONE', subjectPrefix: 'nobody-listens' }, event(), body, {}));
    expect(error.reason).toBe('no_responders');
  });

  it('a responder that never answers is a timeout, for each publish in turn, after its own wait', async () => {
    const bus = await openBus();
    bus.nc.subscribe('silent.>', { callback: () => {} });
    await bus.nc.flush();
    const publisher = jetStreamPublisher(bus.nc, { timeoutMs: 300 });
    const target = { stream: 'NONE', subjectPrefix: 'silent' };
    const started = performance.now();
    const timed = (delayMs: number) =>
      new Promise<number>((resolve) =>
        setTimeout(async () => {
          const error = await failure(publishEvent(bus, publisher, target, event(), body, {}));
          expect(error.reason).toBe('timeout');
          resolve(performance.now() - started);
        }, delayMs),
      );
    const [first, second] = await Promise.all([timed(0), timed(150)]);
    expect(first).toBeGreaterThanOrEqual(299);
    expect(first).toBeLessThan(420);
    expect(second).toBeGreaterThanOrEqual(449);
    expect(second).toBeLessThan(570);
    // The publisher still answers after its timer ran dry.
    bus.nc.subscribe('echo.>', { callback: (_err, msg) => void msg.respond(JSON.stringify({ stream: 'ECHO', seq: 42 })) });
    await bus.nc.flush();
    expect(await publishEvent(bus, publisher, { stream: 'ECHO', subjectPrefix: 'echo' }, event(), body, {})).toEqual({
      duplicate: false,
      sequence: 42,
    });
  });

  it('publishes still waiting when the connection closes are disconnected', async () => {
    const bus = await openBus();
    bus.nc.subscribe('closing.>', { callback: () => {} });
    await bus.nc.flush();
    const publisher = jetStreamPublisher(bus.nc, { timeoutMs: 30_000 });
    const waiting = failure(publishEvent(bus, publisher, { stream: 'NONE', subjectPrefix: 'closing' }, event(), body, {}));
    await bus.nc.close();
    expect((await waiting).reason).toBe('disconnected');
  });
});
