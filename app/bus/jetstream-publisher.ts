// Publishing to JetStream and waiting for the PubAck without the client's request machinery, which
// builds per request a timer, a deferred and, after every reply, an Error with its stack. Here a
// connection has one reply subscription, a map of pending publishes and one timer: a publish costs
// the client half the CPU, and the gateway about 8 % less per request at full load (measured A/B).
import { createInbox, errors, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { readPubAck } from './pub-ack.ts';
import { type BusFailureReason, BusPublishError, type PublishResult } from './publish-event.ts';

export type JetStreamPublisher = {
  /** Publishes and waits for the PubAck; rejects with a BusPublishError. */
  publish(subject: string, body: Uint8Array | string, headers: MsgHdrs): Promise<PublishResult>;
};

type Pending = {
  subject: string;
  deadline: number;
  resolve: (result: PublishResult) => void;
  reject: (error: BusPublishError) => void;
};

function publishFailure(err: unknown): BusFailureReason {
  return err instanceof errors.ClosedConnectionError || err instanceof errors.DrainingConnectionError ? 'disconnected' : 'unknown';
}

/** One per connection: `timeoutMs` is how long a publish waits for its PubAck. */
export function jetStreamPublisher(nc: NatsConnection, options: { timeoutMs: number }): JetStreamPublisher {
  const { timeoutMs } = options;
  // Replies must come back under the connection's own prefix: each identity may read only its own (identities.ts).
  const inboxPrefix = (nc as NatsConnection & { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
  // Insertion order is deadline order, since every publish waits the same time: the sweep stops at the first one still waiting.
  const pending = new Map<string, Pending>();
  let replies: { base: string; sub: Subscription } | undefined;
  let nextToken = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const fail = (token: string, p: Pending, reason: BusFailureReason, message: string, cause?: unknown) => {
    pending.delete(token);
    p.reject(new BusPublishError(reason, message, cause === undefined ? undefined : { cause }));
  };
  const failAll = (reason: BusFailureReason, message: string, cause?: unknown) => {
    for (const [token, p] of pending) fail(token, p, reason, message, cause);
  };

  const sweep = () => {
    timer = undefined;
    const now = performance.now();
    for (const [token, p] of pending) {
      if (p.deadline > now) {
        timer = setTimeout(sweep, p.deadline - now);
        return;
      }
      fail(token, p, 'timeout', `no PubAck within ${timeoutMs} ms`);
    }
  };

  const subscribeToReplies = () => {
    const base = `${createInbox(inboxPrefix)}.`;
    const sub = nc.subscribe(`${base}*`, {
      callback: (err, msg) => {
        if (err) {
          // The server refused the subscription (permissions): nothing pending can be answered; the next publish subscribes again.
          if (replies?.sub === sub) replies = undefined;
          failAll('unknown', err.message, err);
          return;
        }
        const token = msg.subject.slice(base.length);
        const p = pending.get(token);
        if (!p) return; // answered after its timeout
        pending.delete(token);
        const outcome = readPubAck(msg.headers?.code ?? 0, msg.data);
        if (outcome.ok) p.resolve(outcome.result);
        else p.reject(new BusPublishError(outcome.reason, outcome.message));
      },
    });
    return { base, sub };
  };

  void nc.closed().then(() => {
    clearTimeout(timer);
    failAll('disconnected', 'NATS connection closed before the PubAck');
  });
  // A subject this identity may not publish on: the server says so only in an asynchronous error.
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type !== 'error' || !(status.error instanceof errors.PermissionViolationError)) continue;
      const denied = status.error;
      if (denied.operation !== 'publish') continue;
      for (const [token, p] of pending) if (p.subject === denied.subject) fail(token, p, 'unknown', denied.message, denied);
    }
  })();

  return {
    publish: (subject, body, headers) =>
      new Promise<PublishResult>((resolve, reject) => {
        const token = (nextToken++).toString(36);
        try {
          replies ??= subscribeToReplies();
          nc.publish(subject, body, { reply: replies.base + token, headers });
        } catch (err) {
          reject(new BusPublishError(publishFailure(err), (err as Error).message, { cause: err }));
          return;
        }
        pending.set(token, { subject, deadline: performance.now() + timeoutMs, resolve, reject });
        timer ??= setTimeout(sweep, timeoutMs);
      }),
  };
}
