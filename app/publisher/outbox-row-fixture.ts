// An outbox row for tests: a fresh, unattempted event unless `over` says otherwise.
import type { OutboxRow } from './outbox-row.ts';

export function outboxRow(over: Partial<OutboxRow> = {}): OutboxRow {
  return {
    id: 'e1',
    type: 'buddy.match.created',
    body: '{}',
    created_at: 0,
    attempts: 0,
    next_attempt_at: 0,
    last_status: null,
    last_error: null,
    trace_headers: null,
    webhook_done_at: null,
    nats_done_at: null,
    ...over,
  };
}
