/** JDBC-style PostgreSQL addresses as the seeds give them (`jdbc:postgresql://host:5432/db`) and SQL types for a schema. */
import { ArrayType, DataType, StructType, Types } from '../types.js';

export interface PgTarget {
  connectionString: string;
  table: { schema?: string; name: string };
}

/** `jdbc:postgresql://host:port/db?user=u&password=p` (or `postgresql://…`) with the properties' user/password. */
export function pgTarget(url: string, table: string, props: { user?: string; password?: string } = {}): PgTarget {
  const m = /^(?:jdbc:)?postgres(?:ql)?:\/\/(.*)$/i.exec(url.trim());
  if (!m) throw new Error(`not a PostgreSQL JDBC url: ${url} (expected jdbc:postgresql://host:port/database)`);
  const u = new URL(`postgresql://${m[1]}`);
  const user = props.user ?? u.searchParams.get('user') ?? (u.username || undefined);
  const password = props.password ?? u.searchParams.get('password') ?? (u.password || undefined);
  u.searchParams.delete('user');
  u.searchParams.delete('password');
  u.username = user ? encodeURIComponent(user) : '';
  u.password = password ? encodeURIComponent(password) : '';
  const [a, b] = table.split('.');
  return { connectionString: u.toString(), table: b === undefined ? { name: a! } : { schema: a!, name: b } };
}

export function sqlType(t: DataType): string {
  switch (t) {
    case Types.STRING: return 'text';
    case Types.INTEGER: return 'integer';
    case Types.LONG: return 'bigint';
    case Types.DOUBLE: return 'double precision';
    case Types.FLOAT: return 'real';
    case Types.BOOLEAN: return 'boolean';
    case Types.TIMESTAMP: return 'timestamptz';
    case Types.DATE: return 'date';
    case Types.BINARY: return 'bytea';
  }
  if (t instanceof StructType || t instanceof ArrayType) return 'jsonb';
  return 'text';
}

/** A row value as node-postgres takes it (structs and arrays as JSON). */
export function pgValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date || Buffer.isBuffer(v)) return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return v;
}
