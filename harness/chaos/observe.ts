// What the system shows after a chaos run: the event ids in the JetStream stream, every delivery
// each consumer logged, and the publisher's dead-letter table (in its SQLite file or in PostgreSQL).
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { accessOptions } from '../../app/bus/connection.ts';
import type { NatsCredentials } from '../../app/bus/pki.ts';
import { readDeliveryLog } from '../inbox-reader/consumer-log.ts';
import type { Delivery } from './checker.ts';
import { EVENT_BUS_LAYOUT } from '../../app/bus/layout.ts';

/**
 * Every event id in the stream, read as the read-only auditor identity when `credentials` are
 * given: message by message by sequence (STREAM.MSG.GET), since that identity may not create a
 * consumer. Reads run 64 at a time, so 10,000 events take a second or two on loopback.
 */
export async function streamEventIds(
  natsUrls: string[],
  stream = EVENT_BUS_LAYOUT.stream,
  credentials?: NatsCredentials,
): Promise<Set<string>> {
  const access = credentials
    ? accessOptions(
        { servers: natsUrls, nkey: { seedFile: credentials.seedFiles.auditor }, tls: { caFile: credentials.caFile } },
        'auditor',
      )
    : { servers: natsUrls };
  const nc = await connect({ ...access, timeout: 5000 });
  const ids = new Set<string>();
  try {
    const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: 5000 });
    const { first_seq: first, last_seq: last, messages } = (await jsm.streams.info(stream)).state;
    if (messages === 0) return ids;
    let next = first;
    const reader = async () => {
      while (next <= last) {
        const seq = next++;
        // null: a gap in the sequence (nothing is deleted, but be exact).
        const msg = await jsm.streams.getMessage(stream, { seq });
        if (!msg) continue;
        try {
          ids.add((JSON.parse(new TextDecoder().decode(msg.data)) as { id: string }).id);
        } catch {
          // not an event envelope
        }
      }
    };
    await Promise.all(Array.from({ length: 64 }, reader));
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
