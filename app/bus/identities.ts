// Who may do what on the bus: one NATS identity per service, each allowed only the subjects its
// code uses at runtime (checked against the server's permission-violation log), everything else
// denied. Rendered into the server configuration by server-config.ts.

export const NATS_IDENTITIES = ['provisioner', 'gateway', 'publisher', 'consumer', 'auditor'] as const;
export type NatsIdentity = (typeof NATS_IDENTITIES)[number];

export type BusLayout = {
  stream: string;
  subjectPrefix: string;
  /** The durable consumers the consumer process hosts (q2q-ai, journey, safety). */
  durables: readonly string[];
};

export type SubjectPermissions = { publish: string[]; subscribe: string[] };

/**
 * Replies come back on an inbox of the identity's own, never the shared `_INBOX.>`: whoever may
 * subscribe to `_INBOX.>` reads every reply on the account, including the events JetStream hands
 * to the consumers.
 */
export function inboxPrefixFor(identity: NatsIdentity): string {
  return `_INBOX.${identity}`;
}

/** The allow-lists of one identity; anything not listed is denied. */
export function permissionsFor(identity: NatsIdentity, layout: BusLayout): SubjectPermissions {
  const api = '$JS.API';
  const { stream } = layout;
  const replies = [`${inboxPrefixFor(identity)}.>`];
  switch (identity) {
    // Creates and updates the stream and the durables (npm run nats:provision). It cannot delete
    // either, and cannot read or publish events.
    case 'provisioner':
      return {
        publish: [
          `${api}.INFO`,
          `${api}.STREAM.CREATE.${stream}`,
          `${api}.STREAM.UPDATE.${stream}`,
          `${api}.STREAM.INFO.${stream}`,
          `${api}.CONSUMER.CREATE.${stream}.>`,
          `${api}.CONSUMER.DURABLE.CREATE.${stream}.>`,
          `${api}.CONSUMER.INFO.${stream}.>`,
        ],
        subscribe: replies,
      };
    // The gateway and the publisher's NATS transport publish events (the PubAck arrives on their
    // inbox) and read the stream's configuration: the gateway checks it at start and for readiness.
    case 'gateway':
    case 'publisher':
      return { publish: [`${layout.subjectPrefix}.>`, `${api}.STREAM.INFO.${stream}`], subscribe: replies };
    // Fetches from, acks and reads the state of its own durables only; publishes no event.
    case 'consumer':
      return {
        publish: layout.durables.flatMap((d) => [
          `${api}.CONSUMER.INFO.${stream}.${d}`,
          `${api}.CONSUMER.MSG.NEXT.${stream}.${d}`,
          `$JS.ACK.${stream}.${d}.>`,
        ]),
        subscribe: replies,
      };
    // Read-only, for the test harness and the chaos checker: the stream's state and its messages
    // by sequence, without a consumer of its own (creating one would need rights to alter the durables).
    case 'auditor':
      return { publish: [`${api}.STREAM.INFO.${stream}`, `${api}.STREAM.MSG.GET.${stream}`], subscribe: replies };
  }
}
