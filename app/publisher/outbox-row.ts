// The shapes the outbox stores hold, whatever the database.

export type OutboxRow = {
  id: string;
  type: string;
  body: string;
  created_at: number;
  /** Attempts charged to this event (see settle.ts): failures while its endpoint was down do not count. */
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  trace_headers: string | null;
  /** When each transport acknowledged the event (dual mode delivers both ways). */
  webhook_done_at: number | null;
  nats_done_at: number | null;
};

export type DualPathRow = {
  id: string;
  webhook_at: number | null;
  nats_at: number | null;
  paths: 'both' | 'webhook_only' | 'nats_only';
  completed_at: number;
};

export type DeadLetterRow = {
  id: string;
  type: string;
  body: string;
  created_at: number;
  attempts: number;
  last_status: number | null;
  reason: string;
  detail: string | null;
  dead_lettered_at: number;
  trace_headers: string | null;
};

/** What publish() writes: the event as JSON, plus the trace context to continue. */
export type NewOutboxRow = { id: string; type: string; body: string; traceHeaders: string | null };

export function pathsOf(row: { webhook_at: number | null; nats_at: number | null }): DualPathRow['paths'] {
  return row.webhook_at !== null && row.nats_at !== null ? 'both' : row.webhook_at !== null ? 'webhook_only' : 'nats_only';
}
