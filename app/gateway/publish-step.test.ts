// The publish step and what wraps it from outside (the Phase 1 ack mode, drill faults), against the
// in-memory bus writer: what it answers, and what reached the bus. The Phase 1 mode also through
// createApp, since only the chaos harness runs it otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buddyEnvelope } from '../../harness/load/event-factory.ts';
import { createInMemoryBusWriter, type InProcessGateway, startInProcessGateway } from '../../harness/stack/in-process-gateway.ts';
import { BusPublishError } from '../bus/publish-event.ts';
import type { AcceptedWebhook } from './accept-webhook.ts';
import { type Faults, NO_FAULTS } from './faults.ts';
import { ackBeforePublish, type LostEventHandler, publishToBus, withFaults } from './publish-step.ts';

const always =
  <T>(value: T) =>
  () =>
    value;

function accepted(sequence = 1): AcceptedWebhook {
  const event = buddyEnvelope(sequence);
  return { kind: 'publish', event, body: Buffer.from(JSON.stringify(event)) };
}

describe('publishing to the bus', () => {
  it('is published once JetStream acknowledges, and a repeat is flagged as a duplicate', async () => {
    const bus = createInMemoryBusWriter();
    const publish = publishToBus(bus);
    const webhook = accepted();
    expect(await publish(webhook)).toEqual({ kind: 'published', event: webhook.event, duplicate: false, sequence: 1 });
    expect(await publish(webhook)).toMatchObject({ kind: 'published', duplicate: true, sequence: 1 });
    expect(bus.written.map((w) => w.body)).toEqual([webhook.body]);
  });

  it('answers a bus failure with 503, Retry-After and the bus reason', async () => {
    const bus = createInMemoryBusWriter();
    bus.failWith('timeout');
    const webhook = accepted();
    expect(await publishToBus(bus)(webhook)).toMatchObject({
      kind: 'reject',
      outcome: 'unavailable',
      reason: 'bus_unavailable',
      problem: { status: 503, busReason: 'timeout' },
      headers: { 'Retry-After': '5' },
      event: { id: webhook.event.id, type: webhook.event.type },
      bus: { reason: 'timeout', error: expect.any(BusPublishError) },
    });
  });

  it('lets any other error through: it is a bug, not the bus', async () => {
    const bus = createInMemoryBusWriter();
    bus.failWith(new TypeError('a bug'));
    await expect(publishToBus(bus)(accepted())).rejects.toThrow('a bug');
  });
});

describe('the Phase 1 ack mode', () => {
  const lostEvents = () => {
    const lost: Parameters<LostEventHandler>[] = [];
    return { lost, onLost: ((...args) => void lost.push(args)) satisfies LostEventHandler };
  };

  it('acknowledges before JetStream has, and still writes the event', async () => {
    const bus = createInMemoryBusWriter();
    const { lost, onLost } = lostEvents();
    const webhook = accepted();
    expect(await ackBeforePublish(publishToBus(bus), onLost)(webhook)).toEqual({
      kind: 'published',
      event: webhook.event,
      duplicate: false,
      sequence: null,
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(bus.written).toHaveLength(1);
    expect(lost).toEqual([]);
  });

  it('acknowledges even when the bus then fails: the event is lost, and said to be', async () => {
    const bus = createInMemoryBusWriter();
    bus.failWith('disconnected');
    const { lost, onLost } = lostEvents();
    const webhook = accepted();
    expect(await ackBeforePublish(publishToBus(bus), onLost)(webhook)).toMatchObject({ kind: 'published', sequence: null });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lost).toEqual([[webhook.event, 'disconnected', expect.any(BusPublishError)]]);
    bus.failWith(new Error('a bug'));
    await ackBeforePublish(publishToBus(bus), onLost)(webhook);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lost[1]).toEqual([webhook.event, 'unknown', expect.any(Error)]);
  });
});

describe('the Phase 1 ack mode, as createApp wires it from GATEWAY_ACK_MODE=before-publish', () => {
  const bus = createInMemoryBusWriter();
  let gateway: InProcessGateway;
  beforeAll(async () => {
    const env = { WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'false', GATEWAY_ACK_MODE: 'before-publish' };
    gateway = await startInProcessGateway({ busWriter: bus, env });
  });
  afterAll(async () => {
    await gateway?.close();
  });
  const post = (event: object) =>
    fetch(gateway.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });

  it('answers 202 without a sequence, before the bus has acknowledged, and still writes the event', async () => {
    const event = buddyEnvelope(1);
    const res = await post(event);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ id: event.id, status: 'accepted', duplicate: false, sequence: null });
    expect(bus.written.map((w) => w.event.id)).toEqual([event.id]);
  });

  it('answers 202 even when the bus fails: the event is lost, and the log says so', async () => {
    bus.failWith('timeout');
    const event = buddyEnvelope(2);
    expect((await post(event)).status).toBe(202);
    const lost = gateway.logLines.filter((l) => l.msg === 'publish after 202 failed: the event is lost');
    expect(lost).toEqual([expect.objectContaining({ event_id: event.id, level: 50 })]);
    expect(bus.written.map((w) => w.event.id)).not.toContain(event.id);
  });
});

describe('drill faults', () => {
  const run = async (faults: Faults, roll: number) => {
    const bus = createInMemoryBusWriter();
    const started = performance.now();
    const result = await withFaults(publishToBus(bus), always(faults), always(roll))(accepted());
    return { result, written: bus.written.length, ms: performance.now() - started };
  };

  it('passes every webhook through when off', async () => {
    expect(await run(NO_FAULTS, 0)).toMatchObject({ result: { kind: 'published' }, written: 1 });
  });

  it('fails a share with 500 injected_fault, counted as a real error, and publishes nothing', async () => {
    expect(await run({ ...NO_FAULTS, errorRate: 0.5 }, 0.4)).toMatchObject({
      result: { kind: 'reject', outcome: 'unavailable', reason: 'injected_fault', problem: { status: 500 } },
      written: 0,
    });
  });

  it('rejects a share with 422 injected_rejection, which a sender does not retry', async () => {
    expect(await run({ ...NO_FAULTS, errorRate: 0.1, rejectRate: 0.5 }, 0.4)).toMatchObject({
      result: { kind: 'reject', outcome: 'invalid', reason: 'injected_rejection', problem: { status: 422 } },
      written: 0,
    });
  });

  it('delays before publishing', async () => {
    const { result, ms } = await run({ ...NO_FAULTS, delayMs: 60 }, 0.9);
    expect(result.kind).toBe('published');
    expect(ms).toBeGreaterThanOrEqual(55);
  });

  it('reads the faults at each request', async () => {
    let faults = NO_FAULTS;
    const publish = withFaults(publishToBus(createInMemoryBusWriter()), () => faults, always(0));
    expect((await publish(accepted(1))).kind).toBe('published');
    faults = { ...NO_FAULTS, errorRate: 1 };
    expect(await publish(accepted(2))).toMatchObject({ reason: 'injected_fault' });
  });
});
