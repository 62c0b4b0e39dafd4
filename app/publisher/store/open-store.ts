// The store a configuration names, for the publisher service and the dead-letter CLI.
import type { OutboxStore } from './outbox-store.ts';
import { sqliteOutbox } from './sqlite-outbox.ts';

export async function openConfiguredStore(
  store: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string },
): Promise<OutboxStore<unknown>> {
  if (store.kind === 'sqlite') return sqliteOutbox({ database: store.path }) as OutboxStore<unknown>;
  const { postgresOutbox } = await import('./postgres-outbox.ts');
  const pg = await import('pg');
  const pool = new pg.default.Pool({ connectionString: store.url, max: 8 });
  // An idle connection the server closes (a restart, a failover) is replaced on next use; unhandled,
  // its error would end the process.
  const warn = (err: Error) => process.emitWarning(`PostgreSQL pool: ${err.message}`);
  pool.on('error', warn);
  pool.on('connect', (client) => client.on('error', warn));
  const outbox = await postgresOutbox({ pool });
  return {
    ...outbox,
    close: async () => {
      await outbox.close();
      await pool.end();
    },
  } as OutboxStore<unknown>;
}
