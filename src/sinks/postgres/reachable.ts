/**
 * Is PostgreSQL there? One attempt: connect with the sink's configuration (PG* variables or a
 * connection string) within `timeoutMs` (default 3 s) and run `select 1`. `waitForPostgres`
 * repeats it as a program starts, saying what it does (util/waitForService.ts).
 */
import pg from 'pg';
import { waitForService, type WaitForServiceOptions } from '../../util/waitForService.js';
import { resolveConnectionConfig, type PostgresConnectionOptions } from './config.js';

export async function probePostgres(options: PostgresConnectionOptions = {}, timeoutMs = 3000): Promise<void> {
  const client = new pg.Client({ ...resolveConnectionConfig(options), connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `host:port/database` of a configuration, for messages (never the password). */
export function describePostgres(options: PostgresConnectionOptions = {}): string {
  const c = resolveConnectionConfig(options);
  if (c.connectionString) {
    try {
      const u = new URL(c.connectionString);
      return `${u.hostname}:${u.port || 5432}${u.pathname}`;
    } catch {
      return 'the given --pg-url';
    }
  }
  return `${String(c.host)}:${String(c.port)}/${String(c.database)}`;
}

export type WaitForPostgresOptions = Partial<Pick<WaitForServiceOptions, 'hint' | 'log' | 'retryMs' | 'giveUpMs' | 'signal'>>;

export function waitForPostgres(options: PostgresConnectionOptions = {}, o: WaitForPostgresOptions = {}): Promise<void> {
  return waitForService({
    service: 'PostgreSQL',
    address: describePostgres(options),
    probe: () => probePostgres(options),
    hint: o.hint ?? 'set --pg-url or the PG* variables (PGHOST, PGPORT, PGDATABASE, PGUSER)',
    ...o,
  });
}
