// The three durable consumers share one inbox file. Batches they hand over in the same turn of the
// event loop are decided inside one transaction, so a round costs one commit (one fsync) instead of
// one per consumer; only after that commit is each message acknowledged. Each consumer still waits
// for its own batch before taking the next, so its order is kept.
import type { JsMsg } from '@nats-io/jetstream';
import { sameTurnBatches } from '../batching/same-turn-batches.ts';
import type { Inbox } from './inbox.ts';
import { decideBatch, type Outcome, type ProcessOptions, settleBatch } from './process-message.ts';

type Entry = { msgs: readonly JsMsg[]; options: ProcessOptions };

export function createSharedCommit(inbox: Inbox) {
  const counts = { batches: 0, commits: 0 };
  const rounds = sameTurnBatches((entries: Entry[]) => {
    counts.commits++;
    counts.batches += entries.length;
    // A throw rolls back: nothing is acknowledged, so JetStream redelivers every message of the round.
    const decided = inbox.batch(() => entries.map((e) => decideBatch(e.msgs, e.options)));
    return entries.map((e, i) => {
      // Committed for all: a consumer whose acks fail must not keep the others from theirs.
      try {
        return settleBatch(decided[i]!, e.options);
      } catch (err) {
        return Promise.reject(err);
      }
    });
  });
  return {
    /** Batches handed over and transactions committed so far. */
    counts: () => ({ ...counts }),
    async process(msgs: readonly JsMsg[], options: ProcessOptions): Promise<Outcome[]> {
      if (options.handlerDelayMs > 0) await new Promise((r) => setTimeout(r, options.handlerDelayMs * msgs.length));
      return await rounds.add({ msgs, options });
    },
  };
}
