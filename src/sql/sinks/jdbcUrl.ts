/** JDBC-style PostgreSQL addresses as the seeds give them (`jdbc:postgresql://host:5432/db`) and SQL types for a schema. */
import { ArrayType, DataType, StructType, Types } from '../types.js';
import { formatDate } from '../datetime.js';

export interface PgTarget {
  connectionString: string;
  table: { schema?: string; name: string };
}

/** `jdbc:postgresql://host:port/db?user=u&password=p` (or `postgresql://…`) with the properties' user/password. */
export function pgTarget(url: string, table: string, props: { user?: string; password?: string } = {}): PgTarget {
  const m = /^(?:jdbc:)?postgres(?:ql)?:\/\/(.*)$/i.exec(url.trim());
  if (!m) throw new Error(`not a PostgreSQL JDBC url: ${url} (expected jdbc:postgresql://host:port/database)`);
  const u = new URL(`postgresql://${m[1]}`);
  // The URL keeps userinfo percent-encoded (`p%40ss`); the query's values and the properties are plain.
  const user = props.user ?? u.searchParams.get('user') ?? (decodeUserinfo(u.username) || undefined);
  const password = props.password ?? u.searchParams.get('password') ?? (decodeUserinfo(u.password) || undefined);
  u.searchParams.delete('user');
  u.searchParams.delete('password');
  u.username = user ? encodeURIComponent(user) : '';
  u.password = password ? encodeURIComponent(password) : '';
  const [a, b] = tableName(table);
  return { connectionString: u.toString(), table: b === undefined ? { name: a! } : { schema: a!, name: b } };
}

/** Percent-decoded userinfo; a `%` not followed by two hex digits is a literal `%` (URL leaves it so). */
function decodeUserinfo(s: string): string {
  return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (seq) => {
    try {
      return decodeURIComponent(seq);
    } catch {
      return seq; // not UTF-8: kept as written
    }
  });
}

/**
 * `table` or `schema.table` as JDBC's `dbtable` names it, in SQL: an unquoted part folds to lower
 * case, a "quoted" one keeps its case, dots and doubled quotes. Anything else is an error.
 */
export function tableName(table: string): string[] {
  const bad = (why: string): Error => new Error(`dbtable ${JSON.stringify(table)}: ${why} (expected table or schema.table)`);
  const s = table.trim();
  const parts: string[] = [];
  let i = 0;
  for (;;) {
    let part = '';
    if (s[i] === '"') {
      for (i++; ; i++) {
        if (i >= s.length) throw bad('a quoted name is not closed');
        if (s[i] === '"' && s[i + 1] === '"') part += s[i++];
        else if (s[i] === '"') break;
        else part += s[i];
      }
      i++;
      if (part === '') throw bad('an empty quoted name');
    } else {
      const end = s.indexOf('.', i) < 0 ? s.length : s.indexOf('.', i);
      part = s.slice(i, end).toLowerCase();
      i = end;
      if (!/^[a-z_][a-z0-9_$]*$/.test(part)) throw bad(part === '' ? 'an empty name' : `"${part}" needs double quotes`);
    }
    parts.push(part);
    if (i >= s.length) break;
    if (s[i] !== '.') throw bad('a quoted name is followed by more than a "."');
    i++;
  }
  if (parts.length > 2) throw bad(`${parts.length} names`);
  return parts;
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

/**
 * A row value as node-postgres takes it (structs and arrays as JSON). A DATE is its UTC day as
 * text: node-postgres would write a Date in the process's time zone, a day early west of UTC.
 */
export function pgValue(v: unknown, type?: DataType): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date && type === Types.DATE && !Number.isNaN(v.getTime())) return formatDate(v);
  if (v instanceof Date || Buffer.isBuffer(v)) return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return v;
}
