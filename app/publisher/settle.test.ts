import { describe, expect, it } from 'vitest';
import type { OutboxRow } from './outbox-row.ts';
import { outboxRow } from './outbox-row-fixture.ts';
import type { AttemptResult, RetryPolicy } from './retry-policy.ts';
import { type RoundOutcome, type SettlePolicy, settle } from './settle.ts';
import type { TransportPath } from './transport.ts';

const NOW = 1_000_000;
const retry: RetryPolicy = { maxRetries: 5, baseDelayMs: 1000, jitter: 0.2, maxRetryAfterMs: 300_000 };
const webhookOnly: SettlePolicy = { ...retry, required: ['webhook'], maxPauseMs: 60_000 };
const dual: SettlePolicy = { ...retry, required: ['webhook', 'nats'], maxPauseMs: 60_000 };
const mid = () => 0.5; // no jitter

const row = (over: Partial<OutboxRow> = {}): OutboxRow => outboxRow(over);
const ok: AttemptResult = { kind: 'response', status: 202 };
const s503: AttemptResult = { kind: 'response', status: 503 };
const s422: AttemptResult = { kind: 'response', status: 422 };
const s429: AttemptResult = { kind: 'response', status: 429, retryAfter: '30' };
const s429Bare: AttemptResult = { kind: 'response', status: 429 };
const s429Hour: AttemptResult = { kind: 'response', status: 429, retryAfter: '3600' };
const s429Date: AttemptResult = { kind: 'response', status: 429, retryAfter: new Date(NOW + 10_000).toUTCString() };
const s503Later: AttemptResult = { kind: 'response', status: 503, retryAfter: '5' };
const s500Later: AttemptResult = { kind: 'response', status: 500, retryAfter: '30' };
const refused: AttemptResult = { kind: 'connection', message: 'ECONNREFUSED' };
const sent = (result: AttemptResult, path: TransportPath = 'webhook', circuitOpenUntil: number | null = null): RoundOutcome => ({
  path,
  sent: true,
  result,
  circuitOpenUntil,
});
const skipped = (until: number, path: TransportPath = 'webhook'): RoundOutcome => ({ path, sent: false, circuitOpenUntil: until });

describe('settle', () => {
  // [case, attempts charged so far, outcomes, policy, expected]
  const table: [string, number, RoundOutcome[], SettlePolicy, Record<string, unknown>][] = [
    ['a 2xx delivers', 0, [sent(ok)], webhookOnly, { action: 'delivered', done: { webhook: NOW }, errors: [], status: 202 }],
    [
      'a 5xx on the first attempt retries in 1 s, charged',
      0,
      [sent(s503)],
      webhookOnly,
      { action: 'retry', attempts: 1, nextAttemptAt: NOW + 1000, reason: 'http_5xx', charged: true, status: 503 },
    ],
    [
      'the fifth retry waits 16 s',
      4,
      [sent(refused)],
      webhookOnly,
      { action: 'retry', attempts: 5, nextAttemptAt: NOW + 16_000, reason: 'connection', charged: true },
    ],
    [
      'the sixth failure dead-letters as exhausted',
      5,
      [sent(s503)],
      webhookOnly,
      { action: 'dead_letter', attempts: 6, reason: 'exhausted:http_5xx', status: 503 },
    ],
    [
      'a 422 dead-letters at once as rejected',
      0,
      [sent(s422)],
      webhookOnly,
      { action: 'dead_letter', attempts: 1, reason: 'rejected:http_4xx', status: 422 },
    ],
    [
      "a 5xx's Retry-After beyond the backoff is honoured, charged",
      0,
      [sent(s500Later)],
      webhookOnly,
      { action: 'retry', attempts: 1, nextAttemptAt: NOW + 30_000, reason: 'http_5xx', charged: true },
    ],
    // "Not now": the endpoint is up and asked for a wait; the event takes it and keeps its attempts.
    [
      'a 429 is not charged and waits its Retry-After',
      0,
      [sent(s429)],
      webhookOnly,
      { action: 'retry', attempts: 0, nextAttemptAt: NOW + 30_000, reason: 'http_429', charged: false, retried: ['webhook'] },
    ],
    [
      'a 429 on the last attempt does not dead-letter',
      5,
      [sent(s429)],
      webhookOnly,
      { action: 'retry', attempts: 5, nextAttemptAt: NOW + 30_000, charged: false },
    ],
    [
      'a 429 asking for an hour waits the 60 s cap',
      0,
      [sent(s429Hour)],
      webhookOnly,
      { action: 'retry', nextAttemptAt: NOW + 60_000, charged: false },
    ],
    [
      'a 429 without Retry-After waits 1 s',
      5,
      [sent(s429Bare)],
      webhookOnly,
      { action: 'retry', attempts: 5, nextAttemptAt: NOW + 1000, charged: false },
    ],
    [
      'a 429 with an HTTP-date Retry-After waits until then',
      0,
      [sent(s429Date)],
      webhookOnly,
      { action: 'retry', nextAttemptAt: NOW + 10_000, charged: false },
    ],
    [
      'a 503 with Retry-After is "not now" too',
      5,
      [sent(s503Later)],
      webhookOnly,
      { action: 'retry', attempts: 5, nextAttemptAt: NOW + 5000, reason: 'http_5xx', charged: false },
    ],
    [
      'a 429 with the circuit open waits for the later of the two',
      0,
      [sent({ kind: 'response', status: 429, retryAfter: '2' }, 'webhook', NOW + 8000)],
      webhookOnly,
      { action: 'retry', nextAttemptAt: NOW + 8000, charged: false },
    ],
    [
      'dual: NATS down and the gateway says not now: nothing is charged',
      1,
      [sent(s429), sent(refused, 'nats', NOW + 4000)],
      dual,
      { action: 'retry', attempts: 1, nextAttemptAt: NOW + 30_000, charged: false },
    ],
    // The endpoint is down for everyone: the event keeps its attempts and waits for the probe.
    [
      'a failure with the circuit open is not charged',
      5,
      [sent(refused, 'webhook', NOW + 4000)],
      webhookOnly,
      { action: 'retry', attempts: 5, nextAttemptAt: NOW + 4000, reason: 'connection', charged: false },
    ],
    [
      'an attempt skipped by an open circuit is not charged',
      5,
      [skipped(NOW + 8000)],
      webhookOnly,
      { action: 'retry', attempts: 5, nextAttemptAt: NOW + 8000, reason: 'circuit_open', charged: false, retried: [] },
    ],
    [
      "a rejection is the event's fault even with the circuit open",
      0,
      [sent(s422, 'webhook', NOW + 4000)],
      webhookOnly,
      { action: 'dead_letter', reason: 'rejected:http_4xx' },
    ],
    // Dual: what one path has is never sent again; the other retries alone.
    [
      'dual: both paths acknowledge',
      0,
      [sent(ok), sent(ok, 'nats')],
      dual,
      { action: 'delivered', done: { webhook: NOW, nats: NOW }, dualPath: { webhook_at: NOW, nats_at: NOW } },
    ],
    [
      'dual: NATS fails, the webhook is recorded as done',
      0,
      [sent(ok), sent({ kind: 'timeout' }, 'nats')],
      dual,
      { action: 'retry', done: { webhook: NOW }, reason: 'timeout', retried: ['nats'], attempts: 1 },
    ],
    [
      'dual: the longer wait decides',
      1,
      [sent(s503), skipped(NOW + 9000, 'nats')],
      dual,
      { action: 'retry', nextAttemptAt: NOW + 9000, charged: true, attempts: 2 },
    ],
    [
      'dual: a dead letter beats a retry',
      0,
      [sent(s422), sent(refused, 'nats')],
      dual,
      { action: 'dead_letter', reason: 'rejected:http_4xx' },
    ],
  ];
  it.each(table)('%s', (_case, attempts, outcomes, policy, expected) => {
    expect(settle(row({ attempts }), outcomes, policy, NOW, mid)).toMatchObject({ id: 'e1', ...expected });
  });

  it('delivers a dual event whose other path was done in an earlier round', () => {
    const s = settle(row({ attempts: 1, nats_done_at: NOW - 500 }), [sent(ok)], dual, NOW, mid);
    expect(s).toMatchObject({ action: 'delivered', dualPath: { webhook_at: NOW, nats_at: NOW - 500 } });
  });

  it('counts every failed attempt for the error metric, charged or not', () => {
    const s = settle(row(), [sent(refused, 'webhook', NOW + 1000), sent(s503, 'nats')], dual, NOW, mid);
    expect(s.errors).toEqual([
      { path: 'webhook', reason: 'connection' },
      { path: 'nats', reason: 'http_5xx' },
    ]);
  });

  it("gives a connection failure's message as the dead letter's detail", () => {
    expect(settle(row({ attempts: 5 }), [sent(refused)], webhookOnly, NOW, mid)).toMatchObject({
      action: 'dead_letter',
      detail: 'ECONNREFUSED',
    });
  });
});
