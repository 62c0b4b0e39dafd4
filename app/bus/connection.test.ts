import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventBusNats, type EventBusNats } from '../../harness/stack/event-bus-nats.ts';
import { startNatsServer, type NatsServer } from '../../harness/stack/nats-server.ts';
import { connectToBus, missingProtection } from './connection.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'event-bus-connection-'));
let open: NatsServer;
let secure: EventBusNats;

beforeAll(async () => {
  [open, secure] = await Promise.all([
    startNatsServer({ dir: path.join(dir, 'open') }),
    startEventBusNats({ dir: path.join(dir, 'secure'), provision: false }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([open?.stop(), secure?.stop()]);
});

function capturingLogger() {
  const lines: { level: number; msg: string; missing?: string[] }[] = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) }) };
}

describe('missingProtection', () => {
  it.each([
    { access: { servers: [] }, missing: ['NATS_NKEY_SEED_FILE', 'NATS_TLS_CA_FILE'] },
    { access: { servers: [], nkey: { seedFile: '/s' } }, missing: ['NATS_TLS_CA_FILE'] },
    { access: { servers: [], tls: { caFile: '/ca' } }, missing: ['NATS_NKEY_SEED_FILE'] },
    { access: { servers: [], nkey: { seedFile: '/s' }, tls: { caFile: '/ca' } }, missing: [] },
  ])('$missing', ({ access, missing }) => expect(missingProtection(access)).toEqual(missing));
});

describe('connectToBus', () => {
  it('still connects without identity and TLS (a development server), with one warning at start', async () => {
    const { lines, logger } = capturingLogger();
    const bus = await connectToBus({ servers: [open.url], identity: 'gateway', name: 'test', logger });
    await bus.drain();
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ missing: ['NATS_NKEY_SEED_FILE', 'NATS_TLS_CA_FILE'] });
    expect(warnings[0]!.msg).toMatch(/anonymously and without TLS.*development nats-server/);
  });

  it('connects as its identity over TLS, without a warning', async () => {
    const { lines, logger } = capturingLogger();
    const env = secure.env('gateway');
    const bus = await connectToBus({
      servers: [secure.nodes[0]!.url],
      nkey: { seedFile: env.NATS_NKEY_SEED_FILE! },
      tls: { caFile: env.NATS_TLS_CA_FILE! },
      identity: 'gateway',
      name: 'test',
      logger,
    });
    expect(bus.nc.info?.tls_required).toBe(true);
    await bus.drain();
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });
});
