import type { DatabaseSync } from 'node:sqlite';
import type { EventEnvelope } from '../../events/envelope.ts';

/** A downstream handler: its own tables, and an effect that runs inside the inbox transaction. */
export type EventHandler = {
  consumer: string;
  schema: string;
  handle(event: EventEnvelope, db: DatabaseSync): void;
};
