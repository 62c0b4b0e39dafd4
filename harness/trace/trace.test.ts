// Following one event end to end through a real stack (nats-server, gateway, consumers, publisher):
// sent through the publisher, sent straight to the gateway, and refused by it; the same trace from
// the demo's control API, which finds the files through the services' /health. The choices of where
// to look, and the sentence that says where an event is, are tables.
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_NAMES } from '../../app/consumer/handlers/index.ts';
import { startControlServer } from '../demo/control.ts';
import { adminTokenFile } from '../demo/options.ts';
import { eventsToSend, sendEvent } from '../demo/send.ts';
import { newSecret, tempDir } from '../integration/support.ts';
import { type Stack, startStack } from '../stack/stack.ts';
import { readOrCreateTokenFile } from '../stack/token-file.ts';
import { waitFor } from '../stack/wait.ts';
import { renderTrace, whereIs } from './render.ts';
import { chooseFile, traceSources } from './sources.ts';
import { type EventTrace, traceEvent, type TraceSources } from './trace.ts';

describe('where the trace looks', () => {
  const flag = { name: '--inbox' };
  const env = { name: 'CONSUMER_DB_PATH' };
  const demo = { path: '/repo/.demo/consumer/inbox.sqlite' };
  it.each([
    { case: 'the flag first', flag: 'a', env: 'b', exists: true, expected: { path: 'a', from: '--inbox' } },
    { case: 'then the variable', flag: undefined, env: 'b', exists: true, expected: { path: 'b', from: 'CONSUMER_DB_PATH' } },
    { case: 'then the demo, when it exists', flag: undefined, env: undefined, exists: true, expected: { path: demo.path } },
    { case: 'else the default', flag: undefined, env: undefined, exists: false, expected: { path: 'default', from: 'the default' } },
  ])('$case', ({ flag: f, env: e, exists, expected }) => {
    expect(chooseFile({ ...flag, value: f }, { ...env, value: e }, { ...demo, exists }, 'default')).toMatchObject(expected);
  });

  it('finds the demo at its default ports and state directory, and says which files it used', () => {
    const { sources, notes } = traceSources({}, { ADMIN_TOKEN: 'x'.repeat(43) }, () => true);
    expect(sources).toMatchObject({ publisherUrl: 'http://127.0.0.1:3001', gatewayUrls: ['http://127.0.0.1:3000'] });
    expect(sources.inboxPath).toMatch(/\.demo\/consumer\/inbox\.sqlite$/);
    expect(notes).toEqual([
      "outbox: .demo/publisher/outbox.sqlite (from the demo's state directory)",
      "inbox: .demo/consumer/inbox.sqlite (from the demo's state directory)",
      'admin token: from ADMIN_TOKEN',
    ]);
    const cluster = traceSources({ topology: 'cluster', 'gateway-port': '4000', 'state-dir': '/tmp/x' }, {}, () => false);
    expect(cluster.sources.gatewayUrls).toEqual(['http://127.0.0.1:4000', 'http://127.0.0.1:4010']);
    expect(cluster.sources.outboxPath).toBe('data/publisher/outbox.sqlite');
  });

  it('sends every known type, or the one asked for, and refuses a type nobody knows', () => {
    const all = eventsToSend(undefined);
    expect(Array.isArray(all) && new Set(all.map((e) => e.type)).size).toBe(5);
    expect(eventsToSend('buddy.match.ended')).toMatchObject([{ type: 'buddy.match.ended' }]);
    expect(eventsToSend('buddy.nope')).toEqual({ unknownType: 'buddy.nope' });
  });
});

describe('where an event is, in one sentence', () => {
  const none = { ok: true as const, value: null };
  const base: EventTrace = { id: 'e', publisher: none, outboxFile: none, gateways: [], inbox: none };
  const inbox = (consumers: string[]) => ({
    ok: true as const,
    value: {
      path: 'inbox',
      processed: consumers.map((consumer) => ({ consumer, handled_at: 0, delivery_count: 1, stream_seq: 4 })),
      deadLettered: [],
    },
  });
  const gateway = (published: boolean) => ({
    url: 'g',
    record: {
      ok: true as const,
      value: {
        id: 'e',
        outcome: published ? 'accepted' : 'unauthorized',
        status: published ? 202 : 401,
        reason: published ? null : 'signature_mismatch',
        at: '',
        eventType: 'buddy.match.ended',
        published,
        publishedAt: published ? '' : null,
        sequence: published ? 4 : null,
        subject: published ? 'buddy-events.buddy.match.ended.v1' : null,
        duplicate: false,
        requests: 1,
      },
    },
  });
  const deadLetter = {
    ok: true as const,
    value: {
      id: 'e',
      state: 'dead_lettered' as const,
      recent: null,
      deadLetter: { attempts: 6, lastStatus: 401, reason: 'http_4xx', detail: null, deadLetteredAt: '' },
    },
  };
  it.each([
    { case: 'nobody knows it', trace: base, where: 'no part of the bus here knows this event' },
    { case: 'every consumer has it', trace: { ...base, inbox: inbox([...CONSUMER_NAMES]) }, where: 'handled by every consumer' },
    { case: 'one consumer has it', trace: { ...base, inbox: inbox(['journey']) }, where: 'handled by journey; not yet by q2q-ai, safety' },
    {
      case: 'in the stream only',
      trace: { ...base, gateways: [gateway(true)] },
      where: 'in JetStream (stream sequence 4), not yet handled by any consumer',
    },
    {
      case: 'refused by the gateway',
      trace: { ...base, gateways: [gateway(false)] },
      where: 'refused by the gateway (signature_mismatch)',
    },
    {
      case: 'a dead letter',
      trace: { ...base, publisher: deadLetter, gateways: [gateway(false)] },
      where: 'dead-lettered by the publisher (http_4xx): npm run dead-letters -- show e',
    },
    {
      case: 'the publisher is down',
      trace: { ...base, publisher: { ok: false as const, reason: 'down' } },
      where: 'no part of the bus here knows this event',
    },
  ])('$case', ({ trace, where }) => {
    expect(whereIs(trace)).toBe(where);
    expect(renderTrace(trace).at(-1)).toBe(`  → ${where}`);
  });
});

describe('following real events through a real stack', () => {
  let stack: Stack;
  let token: string;
  let sources: TraceSources;

  beforeAll(async () => {
    const dir = tempDir('trace');
    const tokenFile = adminTokenFile(dir);
    token = readOrCreateTokenFile(tokenFile);
    stack = await startStack({
      dir,
      gatewayEnv: { GATEWAY_ADMIN_TOKEN_FILE: tokenFile },
      publisherEnv: { PUBLISHER_ADMIN_TOKEN_FILE: tokenFile },
    });
    sources = {
      publisherUrl: stack.publisher.url,
      gatewayUrls: [stack.gateway.url],
      adminToken: token,
      outboxPath: stack.outboxPath,
      inboxPath: stack.consumerDbPath,
    };
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const one = (type: string) => {
    const events = eventsToSend(type);
    if (!Array.isArray(events)) throw new Error(`no event of type ${type}`);
    return events[0]!;
  };
  const untilHandled = (id: string) =>
    waitFor(`${id} handled by every consumer`, async () => {
      const trace = await traceEvent(id, sources);
      return whereIs(trace) === 'handled by every consumer' && trace;
    });

  it('through the publisher: delivered, accepted with its sequence and subject, one inbox row per consumer at that sequence', async () => {
    const event = one('buddy.match.created');
    const sent = await sendEvent({ via: 'publisher', publisherUrl: stack.publisher.url }, event);
    expect(sent).toMatchObject({ id: event.id, status: 202, answer: 'queued' });
    const trace = await untilHandled(event.id);

    expect(trace.publisher).toMatchObject({
      ok: true,
      value: { state: 'delivered', recent: { attempts: 1, paths: ['webhook'], status: 202 } },
    });
    expect(trace.outboxFile).toMatchObject({ ok: true, value: { outbox: null, deadLetter: null } });
    const gateway = trace.gateways[0]!.record;
    expect(gateway).toMatchObject({
      ok: true,
      value: { outcome: 'accepted', published: true, subject: `buddy-events.${event.type}.v${event.version}`, duplicate: false },
    });
    const sequence = gateway.ok ? gateway.value!.sequence : undefined;
    expect(sequence).toBeGreaterThan(0);
    const inbox = trace.inbox.ok ? trace.inbox.value! : undefined;
    expect(inbox?.processed.map((r) => [r.consumer, r.stream_seq, r.delivery_count])).toEqual(
      [...CONSUMER_NAMES].sort().map((c) => [c, sequence, 1]),
    );
    const lines = renderTrace(trace).join('\n');
    expect(lines).toMatch(/publisher {3}delivered at \S+ \(attempts 1\) via webhook, status 202/);
    expect(lines).toContain(`jetstream   stream sequence ${sequence}, subject buddy-events.${event.type}.v${event.version}`);
    for (const consumer of CONSUMER_NAMES)
      expect(lines).toMatch(new RegExp(`${consumer} +handled at .* \\(delivery 1, stream sequence ${sequence}\\)`));
  });

  it('straight to the gateway, signed with the secret: accepted and handled; the publisher never saw it', async () => {
    const event = one('buddy.checkin.completed');
    const sent = await sendEvent({ via: 'gateway', webhookUrl: stack.webhookUrl, signingSecret: stack.signingSecret }, event);
    expect(sent).toMatchObject({ status: 202, answer: expect.stringMatching(/^accepted, stream sequence \d+$/) });
    const trace = await untilHandled(event.id);
    expect(trace.publisher).toEqual({ ok: true, value: null });
  });

  it('signed with another secret: refused by the gateway with its reason, in no inbox', async () => {
    const event = one('buddy.match.ended');
    const sent = await sendEvent({ via: 'gateway', webhookUrl: stack.webhookUrl, signingSecret: newSecret() }, event);
    expect(sent).toMatchObject({ status: 401, answer: expect.stringMatching(/^signature_mismatch/) });
    const trace = await traceEvent(event.id, sources);
    expect(trace.gateways[0]!.record).toMatchObject({ ok: true, value: { published: false, status: 401, reason: 'signature_mismatch' } });
    expect(whereIs(trace)).toBe('refused by the gateway (signature_mismatch)');
    // Without the admin token the services say nothing.
    const blind = await traceEvent(event.id, { ...sources, adminToken: 'x'.repeat(43) });
    expect(blind.gateways[0]!.record).toEqual({ ok: false, reason: `${stack.gateway.url}/admin/events/${event.id} answered 401` });
  });

  it('the demo control API answers GET /trace/:id behind its token, finding the outbox and inbox through /health', async () => {
    const event = one('buddy.event.attended');
    await sendEvent({ via: 'publisher', publisherUrl: stack.publisher.url }, event);
    await untilHandled(event.id);
    const control = await startControlServer({
      port: 0,
      token,
      services: { gateway: stack.gateway, publisher: stack.publisher, consumer: stack.consumer },
      info: {
        prometheusUrl: '',
        alertmanagerUrl: '',
        publisherUrl: stack.publisher.url,
        gatewayUrl: stack.gateway.url,
        webhookUrl: stack.webhookUrl,
      },
    });
    try {
      const get = (pathname: string, auth?: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = http.get(new URL(pathname, control.url), { headers: auth ? { authorization: `Bearer ${auth}` } : {} }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
          });
          req.on('error', reject);
        });
      const res = await get(`/trace/${event.id}`, token);
      expect(res.status).toBe(200);
      const body = JSON.parse(res.body) as EventTrace & { where: string; lines: string[] };
      expect(body.where).toBe('handled by every consumer');
      expect(body.outboxFile).toMatchObject({ ok: true, value: { path: path.resolve(stack.outboxPath) } });
      expect(body.lines.join('\n')).toContain('delivered at');
      expect((await get(`/trace/${event.id}`)).status).toBe(401);
      expect((await get('/trace/..%2F..%2Fetc', token)).status).toBe(404);
    } finally {
      await control.close();
    }
  });
});
