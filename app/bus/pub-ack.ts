// What JetStream's reply to a publish means: the PubAck, its API error, or the server's 503 status
// when nothing listens on the subject. Pure, so each reason is tested without a server.
import type { BusFailureReason, PublishResult } from './publish-event.ts';

export type PubAckOutcome = { ok: true; result: PublishResult } | { ok: false; reason: BusFailureReason; message: string };

/** JetStream is not enabled for the account: the same "nobody stores this" answer as no responders. */
const JETSTREAM_NOT_ENABLED_FOR_ACCOUNT = 10039;

type PubAckJson = {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; err_code?: number; description?: string };
};

const decoder = new TextDecoder();

/** `status`: the reply's header status code (0 without headers); `data`: its payload. */
export function readPubAck(status: number, data: Uint8Array): PubAckOutcome {
  // The server answers 503 itself when no stream listens on the subject (no_responders with headers).
  if (status === 503 && data.length === 0) return { ok: false, reason: 'no_responders', message: 'no stream listens on the subject' };
  let ack: PubAckJson;
  try {
    ack = JSON.parse(decoder.decode(data)) as PubAckJson;
  } catch {
    return { ok: false, reason: 'unknown', message: `unreadable PubAck (status ${status}, ${data.length} bytes)` };
  }
  if (ack.error) {
    const { err_code, code, description } = ack.error;
    const reason = err_code === JETSTREAM_NOT_ENABLED_FOR_ACCOUNT ? 'no_responders' : 'api_error';
    return { ok: false, reason, message: `${description ?? 'JetStream error'} (err_code ${err_code}, status ${code})` };
  }
  if (!ack.stream || typeof ack.seq !== 'number') return { ok: false, reason: 'unknown', message: 'invalid ack response' };
  return { ok: true, result: { duplicate: ack.duplicate === true, sequence: ack.seq } };
}
