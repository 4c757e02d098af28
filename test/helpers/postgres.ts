/**
 * Test helpers for the real PostgreSQL the tests run against (never a mock).
 *
 * Connection: the standard PG* variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD),
 * defaulting to 127.0.0.1:5432, database `test`. Without PGUSER the users `postgres` and
 * then `root` are tried. When no connection works the tests FAIL (they never skip) with a
 * message that says what is missing.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PoolConfig, QueryResultRow } from 'pg';
import { afterAll, beforeAll } from 'vitest';

export interface ResolvedPg {
  config: PoolConfig;
  host: string;
  port: number;
  database: string;
  user: string;
}

let resolved: Promise<ResolvedPg> | undefined;

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; errors?: Array<{ message?: string }> };
  const msg = e?.message || e?.errors?.map((x) => x.message).join('; ') || String(err);
  return e?.code ? `${e.code}: ${msg}` : msg;
}

/** A connection configuration that works, found once per test file. Rejects with a clear message otherwise. */
export function resolvePg(): Promise<ResolvedPg> {
  resolved ??= (async () => {
    const env = process.env;
    const host = env.PGHOST || '127.0.0.1';
    const port = env.PGPORT ? Number(env.PGPORT) : 5432;
    const database = env.PGDATABASE || 'test';
    const users = env.PGUSER ? [env.PGUSER] : ['postgres', 'root'];
    const failures: string[] = [];
    for (const user of users) {
      const config: PoolConfig = {
        host,
        port,
        database,
        user,
        ...(env.PGPASSWORD !== undefined ? { password: env.PGPASSWORD } : {}),
        connectionTimeoutMillis: 5_000,
      };
      const client = new pg.Client(config);
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return { config, host, port, database, user };
      } catch (err) {
        failures.push(`user "${user}": ${describe(err)}`);
        await client.end().catch(() => {});
      }
    }
    throw new Error(
      `PostgreSQL is required by these tests and could not be used at ${host}:${port}, database "${database}" ` +
        `(${failures.join('; ')}). Start a PostgreSQL server there with a database named "${database}" that ` +
        `user ${users.map((u) => `"${u}"`).join(' or ')} can log in to (e.g. trust auth on 127.0.0.1), ` +
        `or point the PGHOST / PGPORT / PGDATABASE / PGUSER / PGPASSWORD variables at one.`,
    );
  })();
  return resolved;
}

/** Options to spread into `new PostgresSink({...})` so that it connects like the tests do. */
export async function sinkConnection(overrides: PoolConfig = {}): Promise<{ connection: PoolConfig }> {
  const { config } = await resolvePg();
  const { connectionTimeoutMillis: _ignored, ...rest } = config;
  return { connection: { ...rest, ...overrides } };
}

let adminPool: pg.Pool | undefined;

/** A query on the test database through a shared admin pool. */
export async function pgQuery<R extends QueryResultRow = Record<string, unknown>>(
  text: string,
  params: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  if (!adminPool) {
    const { config } = await resolvePg();
    adminPool = new pg.Pool({ ...config, max: 3, application_name: 'dstreams-test-admin' });
    adminPool.on('error', () => {});
  }
  return adminPool.query<R>(text, params);
}

export async function closeAdminPool(): Promise<void> {
  const p = adminPool;
  adminPool = undefined;
  await p?.end();
}

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

export interface Scratch {
  /** The unique schema's name. */
  schema: string;
  /** `{ schema, name }` for a table in the scratch schema. */
  table(name: string): { schema: string; name: string };
  /** `"schema"."name"`. */
  qualified(name: string): string;
  /** A unique name with the given prefix (for sink ids, application names). */
  unique(prefix: string): string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** Creates a uniquely named scratch schema; `drop()` removes it with everything in it. */
export async function createScratch(prefix = 'dstreams_test'): Promise<Scratch> {
  const schema = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await pgQuery(`CREATE SCHEMA ${quoteIdent(schema)}`);
  let n = 0;
  return {
    schema,
    table: (name) => ({ schema, name }),
    qualified: (name) => `${quoteIdent(schema)}.${quoteIdent(name)}`,
    unique: (p) => `${p}_${++n}_${randomBytes(3).toString('hex')}`,
    drop: async () => {
      await pgQuery(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    },
  };
}

/**
 * Registers beforeAll / afterAll hooks that create a scratch schema and drop it (and close the
 * admin pool) after the file's tests. Returns a getter for it. When PostgreSQL cannot be used,
 * every test that asks for the schema FAILS with the reason (a failing hook would only mark
 * the tests as skipped).
 */
export function useScratchSchema(prefix?: string): () => Scratch {
  let scratch: Scratch | undefined;
  let failure: unknown;
  beforeAll(async () => {
    try {
      scratch = await createScratch(prefix);
    } catch (err) {
      failure = err;
    }
  });
  afterAll(async () => {
    try {
      await scratch?.drop();
    } finally {
      await closeAdminPool();
    }
  });
  return () => {
    if (failure) throw failure;
    if (!scratch) throw new Error('scratch schema not created (was useScratchSchema called at the top level of the file?)');
    return scratch;
  };
}
