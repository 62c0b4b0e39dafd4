// The harness's PostgreSQL: a committed row survives a SIGKILL of the server and a restart on the same
// data directory and port. Runs as root on CI, which exercises the unprivileged-user path.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from './postgres.ts';

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('postgres', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'event-bus-postgres-test-'));
  let server: PostgresServer | undefined;
  afterAll(async () => {
    await server?.stop();
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a committed row across a SIGKILL and a restart', async () => {
    server = await startPostgres({ dir });
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
    expect(server.isRunning()).toBe(true);

    await query(server.url, 'CREATE TABLE events (id text PRIMARY KEY, body jsonb NOT NULL)');
    await query(server.url, 'INSERT INTO events (id, body) VALUES ($1, $2)', ['evt_1', { kind: 'order.created' }]);
    expect(await query(server.url, 'SELECT id, body FROM events')).toEqual([{ id: 'evt_1', body: { kind: 'order.created' } }]);

    await server.kill();
    expect(server.isRunning()).toBe(false);
    await expect(query(server.url, 'SELECT 1')).rejects.toThrow();

    await server.start();
    expect(server.isRunning()).toBe(true);
    expect(await query(server.url, 'SELECT id, body FROM events')).toEqual([{ id: 'evt_1', body: { kind: 'order.created' } }]);

    await server.stop();
    expect(server.isRunning()).toBe(false);
  });
});
