// What the system shows after a chaos run: the event ids in the JetStream stream, every delivery
// each consumer logged, and the publisher's dead-letter table (in its SQLite file or in PostgreSQL).
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { readDeliveryLog } from '../history/consumer-log.ts';
import type { Delivery } from './checker.ts';

export async function streamEventIds(natsUrls: string[], stream = 'BUDDY_EVENTS'): Promise<Set<string>> {
  const nc = await connect({ servers: natsUrls });
  const ids = new Set<string>();
  try {
    const total = (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
    const consumer = await jetstream(nc).consumers.get(stream); // ordered, ephemeral
    while (ids.size < total) {
      const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
      let got = 0;
      for await (const msg of batch) {
        got++;
        try {
          ids.add((JSON.parse(new TextDecoder().decode(msg.data)) as { id: string }).id);
        } catch {
          // not an event envelope
        }
      }
      if (got === 0) break;
    }
  } finally {
    await nc.close();
  }
  return ids;
}

export function consumerDeliveries(dbPath: string): Delivery[] {
  return readDeliveryLog(dbPath)
    .filter((r) => r.outcome === 'handled')
    .map((r) => ({ consumer: r.consumer, id: r.event_id, at: r.at }));
}

export function deadLetteredIds(outboxPath: string | undefined): Set<string> {
  if (!outboxPath || !existsSync(outboxPath)) return new Set();
  const db = new DatabaseSync(outboxPath, { readOnly: true });
  try {
    return new Set((db.prepare('SELECT id FROM dead_letter').all() as { id: string }[]).map((r) => r.id));
  } finally {
    db.close();
  }
}

/** The dead-letter table of a PostgreSQL outbox (shared by every publisher instance); empty before
 *  any publisher created it. */
export async function deadLetteredIdsPostgres(databaseUrl: string): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const table = await client.query<{ exists: boolean }>("SELECT to_regclass('webhook_dead_letter') IS NOT NULL AS exists");
    if (!table.rows[0]?.exists) return new Set();
    return new Set((await client.query<{ id: string }>('SELECT id FROM webhook_dead_letter')).rows.map((r) => r.id));
  } finally {
    await client.end().catch(() => undefined);
  }
}
