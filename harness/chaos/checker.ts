// The chaos checker, after Jepsen's: a pure function from the recorded history (what the client
// invoked and how each call ended) and what the system shows afterwards (the stream, each
// consumer's deliveries, the dead-letter table) to counts and a verdict.
import { percentile } from '../../app/telemetry/percentile.ts';

/** One create-event call: ok (202), fail (a definite refusal), or info (unknown: timeout, connection lost). */
export type Invocation = { id: string; invokedAt: number; completedAt: number; outcome: 'ok' | 'fail' | 'info' };
export type Delivery = { consumer: string; id: string; at: number };
export type Observations = {
  consumers: readonly string[];
  deliveries: readonly Delivery[];
  /** Event ids stored in the JetStream stream (accepted by the gateway). */
  accepted: ReadonlySet<string>;
  /** Event ids in the publisher's dead-letter table (not lost, waiting for a replay). */
  deadLettered: ReadonlySet<string>;
};

export type ConsumerCounts = {
  consumer: string;
  attempted: number;
  acknowledged: number;
  delivered: number;
  lost: number;
  duplicated: number;
  recovered: number;
  unexpected: number;
  deadLettered: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  examples: { lost: string[]; duplicated: string[]; unexpected: string[] };
};

export type CheckResult = {
  attempted: number;
  acknowledged: number;
  failed: number;
  unknown: number;
  acceptedByGateway: number;
  consumers: ConsumerCounts[];
  valid: boolean;
  reasons: string[];
};

const sample = (ids: string[]) => ids.slice(0, 5);

export function check(history: readonly Invocation[], obs: Observations): CheckResult {
  const byId = new Map(history.map((op) => [op.id, op]));
  const acknowledged = history.filter((op) => op.outcome === 'ok');
  const consumers = obs.consumers.map((consumer): ConsumerCounts => {
    const seen = new Map<string, number[]>();
    for (const d of obs.deliveries) if (d.consumer === consumer) seen.set(d.id, [...(seen.get(d.id) ?? []), d.at]);
    const delivered = acknowledged.filter((op) => seen.has(op.id));
    const missing = acknowledged.filter((op) => !seen.has(op.id));
    const lost = missing.filter((op) => !obs.deadLettered.has(op.id)).map((op) => op.id);
    const duplicated = [...seen].filter(([, at]) => at.length > 1).map(([id]) => id);
    const recovered = history.filter((op) => op.outcome === 'info' && seen.has(op.id));
    const unexpected = [...seen.keys()].filter((id) => {
      const op = byId.get(id);
      return !op || op.outcome === 'fail';
    });
    const latencies = delivered.map((op) => Math.min(...seen.get(op.id)!) - op.invokedAt);
    return {
      consumer,
      attempted: history.length,
      acknowledged: acknowledged.length,
      delivered: delivered.length,
      lost: lost.length,
      duplicated: duplicated.length,
      recovered: recovered.length,
      unexpected: unexpected.length,
      deadLettered: missing.length - lost.length,
      latencyMs: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        max: latencies.length ? Math.max(...latencies) : Number.NaN,
      },
      examples: { lost: sample(lost), duplicated: sample(duplicated), unexpected: sample(unexpected) },
    };
  });
  const reasons = consumers.flatMap((c) => [
    ...(c.lost ? [`${c.consumer}: ${c.lost} acknowledged event(s) never delivered`] : []),
    ...(c.unexpected ? [`${c.consumer}: ${c.unexpected} event(s) delivered that were never acknowledged`] : []),
  ]);
  return {
    attempted: history.length,
    acknowledged: acknowledged.length,
    failed: history.filter((op) => op.outcome === 'fail').length,
    unknown: history.filter((op) => op.outcome === 'info').length,
    acceptedByGateway: history.filter((op) => obs.accepted.has(op.id)).length,
    consumers,
    valid: reasons.length === 0,
    reasons,
  };
}
