import type { PoolConfig } from 'pg';

/** Where the sink connects. */
export interface PostgresConnectionOptions {
  /** `postgresql://user:pass@host:port/db?...`. When given, the `PG*` variables are not consulted. */
  connectionString?: string;
  /** Extra node-postgres pool settings (ssl, password, statement_timeout, …); they win over the defaults. */
  connection?: PoolConfig;
  /** Maximum number of pooled connections. Default 4. */
  poolSize?: number;
  /** `application_name` reported to the server (visible in pg_stat_activity). Default `dstreams-sink:<sinkId>`. */
  applicationName?: string;
}

/**
 * The node-postgres configuration for the given options: `connectionString` if given, else the
 * standard libpq variables PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, defaulting to
 * host 127.0.0.1, port 5432, database `test`, user `postgres` when they are not set.
 */
export function resolveConnectionConfig(
  opts: PostgresConnectionOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): PoolConfig {
  const base: PoolConfig = opts.connectionString
    ? { connectionString: opts.connectionString }
    : {
        host: env.PGHOST || '127.0.0.1',
        port: env.PGPORT ? Number(env.PGPORT) : 5432,
        database: env.PGDATABASE || 'test',
        user: env.PGUSER || 'postgres',
        ...(env.PGPASSWORD !== undefined ? { password: env.PGPASSWORD } : {}),
      };
  return {
    ...base,
    max: opts.poolSize ?? 4,
    // A server that accepts TCP but never answers must not hang a batch for ever.
    connectionTimeoutMillis: 10_000,
    // Notice a silently dead peer (no RST) in minutes rather than the system's default 2 hours.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    idleTimeoutMillis: 30_000,
    ...(opts.applicationName !== undefined ? { application_name: opts.applicationName } : {}),
    ...opts.connection,
  };
}
