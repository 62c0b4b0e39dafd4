// The clustered topology: three NATS nodes (stream at three replicas) and two gateway replicas.
// With one NATS node and one gateway down, the stack keeps accepting and delivering everything.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buddyEvent } from '../load/event-factory.ts';
import { runOpenModel } from '../load/open-model.ts';
import { createEvent } from '../load/publisher-client.ts';
import { startStack, type Stack } from '../stack/stack.ts';
import { newSecret, summarize, tempDir, waitForAllDelivered, writeArtifact } from './support.ts';
import { EVENT_BUS_LAYOUT } from '../../app/bus/layout.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ dir: tempDir('cluster'), topology: 'cluster', signingSecret: newSecret() });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('clustered topology', () => {
  it('runs three NATS nodes and two gateways, with the stream at three replicas', async () => {
    expect(stack.natsNodes).toHaveLength(3);
    expect(stack.gateways).toHaveLength(2);
    const nc = await stack.connectNats('auditor');
    try {
      const info = await (await jetstreamManager(nc, { checkAPI: false })).streams.info(EVENT_BUS_LAYOUT.stream);
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas?.length).toBe(2);
    } finally {
      await nc.close();
    }
  });

  it('keeps accepting and delivering with one NATS node and one gateway replica down', async () => {
    const acknowledged = new Set<string>();
    const attempted = new Set<string>();
    const duringOutage = new Set<string>();
    let down = false;
    const send = (count: number, rate: number) =>
      runOpenModel({
        stages: [{ ratePerSecond: rate, durationMs: (count / rate) * 1000 }],
        maxInFlight: 200,
        iteration: async (i) => {
          const result = await createEvent(stack.publisher.url, buddyEvent(i));
          attempted.add(result.id);
          if (result.ok) {
            acknowledged.add(result.id);
            if (down) duringOutage.add(result.id);
          }
          return result;
        },
      });
    await send(100, 25);
    // The first gateway is the publisher's preferred one; the second NATS node holds a replica.
    await Promise.all([stack.gateways[0]!.kill(), stack.natsNodes[1]!.kill()]);
    down = true;
    await send(300, 25);
    // Still down: everything so far must arrive through the surviving gateway and NATS nodes.
    const counts = await waitForAllDelivered(stack.consumerDbPath, acknowledged, 90_000, attempted);
    for (const c of counts) expect(c).toMatchObject({ lost: [], duplicated: [], unexpected: [] });
    expect(duringOutage.size).toBe(300);
    expect(stack.gateways[0]!.isRunning()).toBe(false);
    expect(stack.natsNodes[1]!.isRunning()).toBe(false);
    const result = { sent: attempted.size, acknowledged: acknowledged.size, acceptedDuringOutage: duringOutage.size, ...summarize(counts) };
    writeArtifact('cluster-outage.json', result);
    console.log('cluster with one NATS node and one gateway down', result);
    await Promise.all([stack.natsNodes[1]!.start(), stack.gateways[0]!.start()]);
  }, 180_000);

  it('routes between the nodes require mutual TLS with a certificate from the stack CA', async () => {
    const credentials = stack.natsCredentials;
    /** What a peer on the route port gets: the bytes it read, and the error that ended it, if any. */
    const probe = (open: () => net.Socket) =>
      new Promise<{ text: string; error?: string }>((resolve) => {
        const socket = open();
        const result: { text: string; error?: string } = { text: '' };
        const done = setTimeout(() => socket.destroy(), 5000);
        socket.on('data', (chunk) => (result.text += chunk.toString('latin1')));
        socket.on('error', (err) => (result.error = err.message));
        socket.on('close', () => {
          clearTimeout(done);
          resolve(result);
        });
      });
    for (const node of stack.natsNodes) {
      const conf = readFileSync(path.join(stack.dir, 'nats', `${node.name}.conf`), 'utf8');
      const port = Number(/cluster \{[^}]*?listen: "127\.0\.0\.1:(\d+)"/.exec(conf)![1]);
      const plaintext = await probe(() =>
        net.connect({ host: '127.0.0.1', port }).on('connect', function (this: net.Socket) {
          this.write('CONNECT {}\r\nPING\r\n');
        }),
      );
      expect(plaintext.text, node.name).toBe('');
      const ca = readFileSync(credentials.caFile);
      const withoutCertificate = await probe(() => tls.connect({ host: '127.0.0.1', port, ca }));
      expect(withoutCertificate.error, node.name).toMatch(/certificate/i);
      // The control: a peer with a certificate from our CA gets the route's INFO.
      const asPeer = await probe(() =>
        tls
          .connect({ host: '127.0.0.1', port, ca, cert: readFileSync(credentials.certFile), key: readFileSync(credentials.keyFile) })
          .on('data', function (this: tls.TLSSocket) {
            this.end();
          }),
      );
      expect(asPeer.text, node.name).toMatch(/^INFO /);
    }
  });

  it('ran every service within its NATS permissions: no node logged a violation', () => {
    // Each identity may use only the subjects listed in app/bus/identities.ts; a call outside them
    // would show here (and fail the call) long before it shows in production.
    for (const node of stack.natsNodes) {
      const log = readFileSync(path.join(stack.dir, 'nats', `${node.name}.log`), 'utf8');
      expect(log).toContain('TLS required for client connections');
      expect(log.split('\n').filter((line) => /Violation/.test(line))).toEqual([]);
    }
  });
});
