/**
 * Values as JSON text, as Spark's to_json and JSON sink write them (Jackson's escaping, Spark's
 * timestamp and date forms, doubles as Java prints them).
 */
import { formatDate } from './datetime.js';
import { ArrayType, DataType, DateValue, StructType, Types } from './types.js';
import { doubleText, floatText, type Row } from './values.js';

/** A string as Jackson writes it: `"` `\` and control characters escaped (`\n`, `\u001F`), the rest as is. */
export function quote(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 32 && c !== 34 && c !== 92) continue;
    out += s.slice(from, i);
    from = i + 1;
    switch (c) {
      case 34: out += '\\"'; break;
      case 92: out += '\\\\'; break;
      case 8: out += '\\b'; break;
      case 9: out += '\\t'; break;
      case 10: out += '\\n'; break;
      case 12: out += '\\f'; break;
      case 13: out += '\\r'; break;
      default: out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    }
  }
  return `${out}${s.slice(from)}"`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** A timestamp as Spark's JSON writer formats it: `yyyy-MM-dd'T'HH:mm:ss.SSSXXX` in UTC (`2017-01-01T10:00:00.500Z`). */
export function jsonTimestamp(d: Date): string {
  const ms = String(d.getUTCMilliseconds()).padStart(3, '0');
  return `${formatDate(d)}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${ms}Z`;
}

/**
 * A value of type `t` as JSON text, as Spark writes it (to_json, the json file sink): struct
 * fields in order with null fields left out, a DOUBLE as Java writes it (`2.0`, `1.0E10`,
 * `"NaN"`), a DATE `"2017-01-01"`, a TIMESTAMP `"2017-01-01T10:00:00.500Z"`, a BINARY in base64.
 * Without `t` the value's own kind decides (see typedString).
 */
export function toJsonText(v: unknown, t?: DataType): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') {
    const double = t === Types.DOUBLE || t === Types.FLOAT || (t !== Types.INTEGER && t !== Types.LONG && !Number.isInteger(v));
    if (!double) return String(v);
    const text = t === Types.FLOAT ? floatText(v) : doubleText(v);
    return Number.isFinite(v) ? text : `"${text}"`;
  }
  // A BIGINT past 2^53 (a bigint) as all its digits.
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) {
    const date = t === Types.DATE || (t !== Types.TIMESTAMP && v instanceof DateValue);
    return `"${date ? formatDate(v) : jsonTimestamp(v)}"`;
  }
  if (Buffer.isBuffer(v)) return `"${v.toString('base64')}"`;
  if (Array.isArray(v)) {
    const el = t instanceof ArrayType ? t.elementType : undefined;
    return `[${v.map((x) => toJsonText(x, el)).join(',')}]`;
  }
  if (typeof v === 'object') {
    const row = v as Row;
    const fields: [string, unknown, DataType | undefined][] =
      t instanceof StructType ? t.fields.map((f) => [f.name, row[f.name], f.dataType]) : Object.entries(row).map(([k, x]) => [k, x, undefined]);
    // Spark leaves null fields out (ignoreNullFields).
    const parts = fields.filter(([, x]) => x !== null && x !== undefined).map(([k, x, ft]) => `${quote(k)}:${toJsonText(x, ft)}`);
    return `{${parts.join(',')}}`;
  }
  return quote(String(v));
}
