// The gateway's record of recent answers: the merge of answers into one record per event (a table),
// the bound, and GET /admin/events/:id on an in-process gateway behind its admin token.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buddyEnvelope } from '../../harness/load/event-factory.ts';
import { type InProcessGateway, startInProcessGateway } from '../../harness/stack/in-process-gateway.ts';
import type { EventEnvelope } from '../events/envelope.ts';
import { parseSecrets, signatureHeaders } from '../signature/standard-webhooks.ts';
import { createRecentOutcomes, nextRecord, type RecentOutcome, recordKey } from './recent-outcomes.ts';
import { rejection, type WebhookResult } from './webhook-result.ts';

const event = buddyEnvelope(0) as EventEnvelope;
const published = (sequence: number | null, duplicate = false): WebhookResult => ({ kind: 'published', event, duplicate, sequence });
const refused = (reason: string, status: number): WebhookResult =>
  rejection(status === 429 ? 'rate_limited' : status === 401 ? 'unauthorized' : 'unavailable', { status, title: reason, reason }, {});

type Step = { at: number; result: WebhookResult };
const answerOf = (result: WebhookResult) =>
  result.kind === 'published'
    ? { outcome: result.duplicate ? ('duplicate' as const) : ('accepted' as const), status: 202 }
    : { outcome: result.outcome, status: result.problem.status, reason: result.reason };
const replay = (steps: Step[]) =>
  steps.reduce<RecentOutcome | undefined>((record, { at, result }) => nextRecord(record, at, answerOf(result), result), undefined);

describe('one record per event, from its answers', () => {
  it.each([
    {
      case: 'accepted once',
      steps: [{ at: 1, result: published(7) }],
      expected: { lastOutcome: 'accepted', publishedAt: 1, sequence: 7, duplicate: false, requests: 1, eventVersion: event.version },
    },
    {
      case: 'a 503, then accepted on the retry',
      steps: [
        { at: 1, result: refused('bus_unavailable', 503) },
        { at: 2, result: published(9) },
      ],
      expected: { lastOutcome: 'accepted', lastReason: null, publishedAt: 2, sequence: 9, requests: 2 },
    },
    {
      case: 'accepted, then a retry JetStream reports as a duplicate',
      steps: [
        { at: 1, result: published(7) },
        { at: 2, result: published(7, true) },
      ],
      expected: { lastOutcome: 'duplicate', publishedAt: 1, sequence: 7, duplicate: true, requests: 2 },
    },
    {
      case: 'accepted, then a retry over the rate limit: still in the stream',
      steps: [
        { at: 1, result: published(7) },
        { at: 2, result: refused('rate_limited', 429) },
      ],
      expected: { lastOutcome: 'rate_limited', lastStatus: 429, lastReason: 'rate_limited', publishedAt: 1, sequence: 7 },
    },
    {
      case: 'refused only',
      steps: [{ at: 1, result: refused('signature_mismatch', 401) }],
      expected: { lastOutcome: 'unauthorized', lastReason: 'signature_mismatch', publishedAt: null, sequence: null, eventType: null },
    },
    {
      case: 'the Phase 1 ack mode: published, no sequence yet',
      steps: [{ at: 1, result: published(null) }],
      expected: { lastOutcome: 'accepted', publishedAt: 1, sequence: null },
    },
  ])('$case', ({ steps, expected }) => {
    expect(replay(steps)).toMatchObject(expected);
  });

  it.each([
    [event.id, undefined, event.id],
    [event.id, randomUUID(), event.id],
    [undefined, 'A0B1C2D3-0000-4000-8000-000000000000', 'A0B1C2D3-0000-4000-8000-000000000000'],
    [undefined, 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', undefined],
    [undefined, 'x'.repeat(10_000), undefined],
    [undefined, undefined, undefined],
  ])('event id %s, webhook-id %s: filed under %s', (eventId, webhookId, key) => {
    expect(recordKey(eventId, webhookId)).toBe(key);
  });

  it('keeps the last N ids written, oldest out first; writing an id again makes it the newest', () => {
    const recent = createRecentOutcomes(3);
    const answer = { outcome: 'accepted' as const, status: 202 };
    for (const id of ['a', 'b', 'c']) recent.record(id, 1, answer, published(1));
    recent.record('a', 2, answer, published(1, true));
    recent.record('d', 3, answer, published(2));
    expect(recent.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((id) => recent.get(id) !== undefined)).toEqual([true, false, true, true]);
    expect(recent.get('a')).toMatchObject({ requests: 2, duplicate: true });
  });
});

describe('GET /admin/events/:id', () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const adminToken = randomBytes(32).toString('hex');
  let gateway: InProcessGateway;
  const admin = (id: string, token: string | null = adminToken) =>
    fetch(`${gateway.url}/admin/events/${id}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const post = (body: string, id: string, key = secret) =>
    fetch(gateway.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signatureHeaders(parseSecrets(key), id, Math.floor(Date.now() / 1000), body) },
      body,
    });

  beforeAll(async () => {
    gateway = await startInProcessGateway({
      env: { WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'true', WEBHOOK_SIGNATURE_SECRET: secret, GATEWAY_ADMIN_TOKEN: adminToken },
    });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('answers an accepted event with its sequence, subject and duplicate flag', async () => {
    const sent = buddyEnvelope(1);
    const body = JSON.stringify(sent);
    expect((await post(body, sent.id)).status).toBe(202);
    expect((await post(body, sent.id)).status).toBe(202);
    const res = await admin(sent.id);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: sent.id,
      outcome: 'duplicate',
      status: 202,
      published: true,
      sequence: expect.any(Number),
      subject: `buddy-events.${sent.type}.v${sent.version}`,
      duplicate: true,
      requests: 2,
    });
  });

  it('answers a refused event with the reason it was refused for, found by its webhook-id', async () => {
    const sent = buddyEnvelope(2);
    const wrong = `whsec_${randomBytes(32).toString('base64')}`;
    expect((await post(JSON.stringify(sent), sent.id, wrong)).status).toBe(401);
    expect(await (await admin(sent.id)).json()).toMatchObject({
      outcome: 'unauthorized',
      status: 401,
      reason: 'signature_mismatch',
      published: false,
      sequence: null,
      subject: null,
    });
  });

  it('answers an id it never saw with 404 problem+json, and asks for the admin token first', async () => {
    const unknown = await admin(randomUUID());
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect(await unknown.json()).toMatchObject({ reason: 'event_unknown' });
    for (const token of [null, 'wrong']) {
      const res = await admin(randomUUID(), token);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ reason: 'admin_unauthorized' });
    }
    // The fault switch is behind the same guard, now shared.
    expect((await fetch(`${gateway.url}/admin/faults`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/admin/faults`, { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(200);
  });
});
