// The publisher library: what an application imports to publish events from inside its own
// transactions. See examples/buddy-app for a whole application.
//
//   const publisher = createWebhookPublisher({
//     store: sqliteOutbox({ database: db }),
//     transports: [webhookTransport({ urls: ['https://csr.example/webhooks/buddy-events'], keys: parseSecrets(secret), timeoutMs: 5000 })],
//   });
//   await publisher.start();
//   db.exec('BEGIN');
//   insertMatch.run(match);
//   await publisher.publish({ type: 'buddy.match.created', data: match }, { tx: db });
//   db.exec('COMMIT');
export { parseSecrets } from '../signature/standard-webhooks.ts';
export type { BreakerPolicy } from './circuit-breaker.ts';
export type { DeadLetterRow, OutboxRow } from './outbox-row.ts';
export {
  createWebhookPublisher,
  DEFAULT_RETRY_POLICY,
  type EventInput,
  EventValidationError,
  type PublishResult,
  type WebhookPublisher,
  type WebhookPublisherOptions,
} from './publisher.ts';
export type { AttemptResult, RetryPolicy } from './retry-policy.ts';
export type { OutboxStore } from './store/outbox-store.ts';
export { postgresOutbox, type PostgresOutboxOptions } from './store/postgres-outbox.ts';
export { sqliteOutbox, type SqliteOutboxOptions } from './store/sqlite-outbox.ts';
export type { Transport, TransportMode, TransportPath } from './transport.ts';
export { natsTransport, type NatsTransportOptions } from './transports/nats.ts';
export { webhookTransport, type WebhookTransportOptions } from './transports/webhook.ts';
