// The bus lets no one in who has no identity, and each identity only as far as its job needs:
// against a real nats-server running the generated configuration (TLS, nkeys, permissions) and
// provisioned by the real `npm run nats:provision`.
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { createUser } from '@nats-io/nkeys';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buddyEnvelope } from '../../harness/load/event-factory.ts';
import { startEventBusNats, type EventBusNats } from '../../harness/stack/event-bus-nats.ts';
import { startService } from '../../harness/stack/service.ts';
import { DEFAULT_STREAM_LIMITS } from './event-stream.ts';
import { EVENT_BUS_LAYOUT } from './layout.ts';

const STREAM = EVENT_BUS_LAYOUT.stream;
let bus: EventBusNats;
let auditor: NatsConnection;
const opened: NatsConnection[] = [];
const dir = mkdtempSync(path.join(tmpdir(), 'event-bus-nats-security-'));

async function as(identity: Parameters<EventBusNats['connect']>[0]): Promise<NatsConnection> {
  const nc = await bus.connect(identity);
  opened.push(nc);
  return nc;
}

/** The stream's message count, read by the read-only auditor identity. */
async function streamMessages(): Promise<number> {
  const jsm = await jetstreamManager(auditor, { checkAPI: false });
  return (await jsm.streams.info(STREAM)).state.messages;
}

/** A JetStream manager without the account-info probe, so a refusal comes from the call under test. */
const manager = (nc: NatsConnection): Promise<JetStreamManager> => jetstreamManager(nc, { checkAPI: false, timeout: 2000 });

/** The forged-publish probe of issue 17: a well-formed event straight to the stream's subject. */
async function forgePublish(nc: NatsConnection) {
  const event = buddyEnvelope(1);
  return await jetstream(nc, { timeout: 2000 }).publish(`buddy-events.${event.type}.v${event.version}`, JSON.stringify(event), {
    msgID: event.id,
  });
}

beforeAll(async () => {
  bus = await startEventBusNats({ dir });
  auditor = await as('auditor');
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(opened.map((nc) => nc.close()));
  await bus?.stop();
});

describe('NATS identities', () => {
  it('refuses an anonymous client: the forged publish of issue 17 gets no JetStream ack', async () => {
    const before = await streamMessages();
    // The client trusts our CA, so the refusal is about identity, not TLS.
    const attempt = connect({ servers: bus.nodes[0]!.url, tls: { caFile: bus.credentials.caFile }, timeout: 3000 }).then(async (nc) => {
      opened.push(nc);
      return await forgePublish(nc);
    });
    await expect(attempt).rejects.toThrow(/Authorization Violation/i);
    expect(await streamMessages()).toBe(before);
  });

  it('refuses an nkey the server does not know', async () => {
    const stranger = createUser().getSeed();
    const attempt = connect({
      servers: bus.nodes[0]!.url,
      tls: { caFile: bus.credentials.caFile },
      authenticator: nkeyAuthenticator(stranger),
      timeout: 3000,
    });
    await expect(attempt).rejects.toThrow(/Authorization Violation/i);
  });

  it('lets the gateway and the publisher identities publish an event and get the PubAck', async () => {
    const before = await streamMessages();
    for (const identity of ['gateway', 'publisher'] as const) {
      const ack = await forgePublish(await as(identity));
      expect(ack.stream).toBe(STREAM);
    }
    expect(await streamMessages()).toBe(before + 2);
  });

  it('does not let a consumer identity publish events', async () => {
    const before = await streamMessages();
    await expect(forgePublish(await as('consumer'))).rejects.toThrow(/Permissions Violation/i);
    expect(await streamMessages()).toBe(before);
  });

  it.each(['gateway', 'publisher', 'consumer', 'provisioner'] as const)(
    'does not let the %s identity delete or purge the stream, or delete a message',
    async (identity) => {
      const jsm = await manager(await as(identity));
      await expect(jsm.streams.delete(STREAM)).rejects.toThrow(/Permissions Violation/i);
      await expect(jsm.streams.purge(STREAM)).rejects.toThrow(/Permissions Violation/i);
      await expect(jsm.streams.deleteMessage(STREAM, 1)).rejects.toThrow(/Permissions Violation/i);
      expect((await (await manager(auditor)).streams.info(STREAM)).config.name).toBe(STREAM);
    },
  );

  it('does not let the gateway identity create, update or remove consumers', async () => {
    const jsm = await manager(await as('gateway'));
    await expect(jsm.consumers.add(STREAM, { durable_name: 'tap', ack_policy: AckPolicy.None })).rejects.toThrow(/Permissions Violation/i);
    await expect(jsm.consumers.delete(STREAM, 'q2q-ai')).rejects.toThrow(/Permissions Violation/i);
  });

  it('lets the consumer identity fetch and ack its own durables, and no other', async () => {
    const js = jetstream(await as('consumer'), { timeout: 2000 });
    const own = await js.consumers.get(STREAM, 'q2q-ai');
    const fetched = await own.fetch({ max_messages: 1, expires: 2000 });
    let got = 0;
    for await (const msg of fetched) {
      got++;
      expect(await msg.ackAck()).toBe(true);
    }
    expect(got).toBe(1);
    // A durable that is not the consumer's own, made by the provisioner for this test.
    await (await manager(await as('provisioner'))).consumers.add(STREAM, { durable_name: 'someone-else', ack_policy: AckPolicy.Explicit });
    await expect(js.consumers.get(STREAM, 'someone-else')).rejects.toThrow(/Permissions Violation/i);
  });

  it('runs the provisioning step only as the provisioner: as the gateway it fails at once, naming the violation', async () => {
    const started = Date.now();
    await expect(bus.provision({ ...bus.env('gateway'), NATS_STREAM_MAX_AGE_DAYS: '1' })).rejects.toThrow(/Permissions Violation/i);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await (await manager(auditor)).streams.info(STREAM)).config.max_age).toBe(7 * 24 * 3600 * 1e9);
  });

  it("keeps each identity off the others' reply inboxes", async () => {
    const gateway = await as('gateway');
    const sub = gateway.subscribe('_INBOX.consumer.>');
    // The server refuses the subscription asynchronously; the client then closes it with the error.
    const outcome = await Promise.race([sub.closed, new Promise<string>((r) => setTimeout(() => r('still subscribed'), 3000))]);
    expect(String(outcome)).toMatch(/Permissions Violation/i);
  });

  it('gives the stream its limits: deny_delete, deny_purge, max_bytes and max_age', async () => {
    const { config } = await (await manager(auditor)).streams.info(STREAM);
    expect(config).toMatchObject({
      deny_delete: true,
      deny_purge: true,
      max_bytes: DEFAULT_STREAM_LIMITS.maxBytes,
      max_age: 7 * 24 * 3600 * 1e9,
      discard: 'new',
      duplicate_window: 600 * 1e9,
      subjects: ['buddy-events.>'],
    });
  });
});

describe('NATS TLS', () => {
  it('refuses a plaintext client: the server requires TLS before anything else', async () => {
    const { port } = bus.nodes[0]!;
    const transcript = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      let text = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(text);
      }, 4000);
      socket.on('data', (chunk) => {
        text += chunk.toString();
        // After the INFO line, speak plaintext as an old client would.
        if (text.includes('\r\n') && !text.includes('CONNECT-SENT')) {
          text += 'CONNECT-SENT';
          socket.write('CONNECT {"verbose":false,"pedantic":false}\r\nPUB buddy-events.x 2\r\nhi\r\nPING\r\n');
        }
      });
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(text);
      });
      socket.on('error', reject);
    });
    expect(transcript).toMatch(/"tls_required":true/);
    expect(transcript).not.toContain('PONG');
  });

  it('refuses a client that does not trust our CA (the server must prove its name)', async () => {
    const seed = new TextEncoder().encode(readFileSync(bus.credentials.seedFiles.gateway, 'utf8').trim());
    // No caFile: verified against the system CAs, which never signed our server certificate.
    await expect(
      connect({ servers: bus.nodes[0]!.url, authenticator: nkeyAuthenticator(seed), timeout: 3000, maxReconnectAttempts: 0 }),
    ).rejects.toThrow();
  });
});

describe('the gateway without a provisioned stream', () => {
  it('does not create the stream: it exits at start, naming the missing provisioning step', async () => {
    const bare = await startEventBusNats({ dir: path.join(dir, 'unprovisioned'), provision: false });
    try {
      const started = startService('gateway', {
        logDir: path.join(dir, 'logs'),
        name: 'gateway-unprovisioned',
        env: { ...bare.env('gateway'), NATS_STARTUP_WAIT_MS: '1500', WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'false' },
      });
      await expect(started).rejects.toThrow(/exited with 1/);
      expect(readFileSync(path.join(dir, 'logs', 'gateway-unprovisioned.log'), 'utf8')).toContain(
        `stream ${EVENT_BUS_LAYOUT.stream} does not exist: run npm run nats:provision`,
      );
      const bareAuditor = await bare.connect('auditor');
      opened.push(bareAuditor);
      const jsm = await manager(bareAuditor);
      await expect(jsm.streams.info(STREAM)).rejects.toThrow(/stream not found/i);
    } finally {
      await bare.stop();
    }
  }, 60_000);
});
