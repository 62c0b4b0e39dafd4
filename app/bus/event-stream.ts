// The JetStream stream that holds every accepted event: its configuration, created by the
// provisioning step (provision.ts), and the check the gateway makes against it at start.
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';

/**
 * Retention: seven days, long enough to replay a week of events into a consumer rebuilt after a
 * bad deploy. The byte cap holds those seven days at the design's 50 events/s peak, sustained:
 * 50 × 86,400 × 7 = 30.24 M events × 760 B (measured: 500 load-mix events through the whole
 * stack stored 379,600 bytes, subject and headers included) ≈ 23 GB. The cap is 32 GiB (34.4 GB),
 * half again as much, for events with long comments or notes. Hitting it refuses new events
 * (discard new) rather than dropping the oldest ones a lagging consumer may not have read: the
 * gateway answers 503 and the publisher's outbox keeps them.
 */
export const MEASURED_STORED_EVENT_BYTES = 760;
export const DEFAULT_STREAM_LIMITS = { maxAgeDays: 7, maxBytes: 32 * 1024 ** 3 } as const;

export type EventStreamOptions = {
  name: string;
  subjectPrefix: string;
  /** Must exceed the publisher's whole retry span, so a retried webhook is still recognised as a duplicate. */
  duplicateWindowSeconds: number;
  replicas: number;
  maxAgeDays: number;
  maxBytes: number;
};

export function eventStreamConfig(options: EventStreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: options.name,
    subjects: [`${options.subjectPrefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    num_replicas: options.replicas,
    duplicate_window: nanos(options.duplicateWindowSeconds * 1000),
    max_age: nanos(options.maxAgeDays * 24 * 3600 * 1000),
    max_bytes: options.maxBytes,
    discard: DiscardPolicy.New,
    // Accepted events are evidence: nobody, whatever their permissions, removes one before max_age.
    deny_delete: true,
    deny_purge: true,
  };
}

/** What the gateway relies on: its subjects land in the stream, retries are deduplicated, nothing is removed early. */
export type StreamExpectation = Pick<EventStreamOptions, 'name' | 'subjectPrefix' | 'duplicateWindowSeconds' | 'replicas'>;

/** Every way the stream falls short of the expectation, as sentences; empty when it does not. */
export function streamConfigProblems(
  actual: Pick<StreamConfig, 'subjects' | 'duplicate_window' | 'num_replicas' | 'deny_delete' | 'deny_purge' | 'max_bytes' | 'max_age'>,
  expected: StreamExpectation,
): string[] {
  const problems: string[] = [];
  const subject = `${expected.subjectPrefix}.>`;
  if (!actual.subjects?.includes(subject))
    problems.push(`does not capture ${subject} (subjects: ${(actual.subjects ?? []).join(', ') || 'none'})`);
  const windowSeconds = (actual.duplicate_window ?? 0) / 1e9;
  if (windowSeconds < expected.duplicateWindowSeconds)
    problems.push(`duplicate window is ${windowSeconds} s, below the ${expected.duplicateWindowSeconds} s the publisher's retries need`);
  if ((actual.num_replicas ?? 1) < expected.replicas) problems.push(`has ${actual.num_replicas} replica(s), expected ${expected.replicas}`);
  if (!actual.deny_delete) problems.push('allows deleting messages (deny_delete is false)');
  if (!actual.deny_purge) problems.push('allows purging (deny_purge is false)');
  if (!(actual.max_bytes > 0)) problems.push('has no byte limit (max_bytes)');
  if (!(actual.max_age > 0)) problems.push('has no age limit (max_age)');
  return problems;
}

export type EventStreamProblem = 'missing' | 'misconfigured';

export class EventStreamError extends Error {
  override name = 'EventStreamError';
  readonly reason: EventStreamProblem;
  constructor(reason: EventStreamProblem, message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * Reads the stream's configuration and throws EventStreamError (missing or misconfigured) unless it
 * meets the expectation; connection and timeout errors pass through as they are (worth a retry).
 */
export async function verifyEventStream(nc: NatsConnection, expected: StreamExpectation, timeoutMs = 5000): Promise<StreamInfo> {
  // checkAPI false: the account-info call it would make first is not among the gateway's permissions.
  const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: timeoutMs });
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(expected.name);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
      throw new EventStreamError('missing', `stream ${expected.name} does not exist: run npm run nats:provision`);
    }
    throw err;
  }
  const problems = streamConfigProblems(info.config, expected);
  if (problems.length)
    throw new EventStreamError('misconfigured', `stream ${expected.name} ${problems.join('; ')}: run npm run nats:provision`);
  return info;
}
