/**
 * Value conversions of Spark SQL (non-ANSI mode): CAST, comparisons, and how values print.
 * A cast that cannot convert gives null, never an error (Spark's default). Time is UTC: the
 * session time zone of dstreams is UTC, so a job's results do not depend on the machine's zone.
 */
import { ArrayType, DataType, StructType, Types } from './types.js';

export type Row = Record<string, unknown>;

const NUM_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** `2017-11-11 10:20:30[.123]` (UTC), `2017-11-11`, or ISO 8601 with a zone; ms or null. */
export function parseTimestampText(s: string): number | null {
  const t = s.trim();
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(t);
  if (!m) return null;
  const pad = (x: string | undefined, n = 2) => (x ?? '0').padStart(n, '0');
  const frac = m[7] ? m[7].slice(0, 4).padEnd(4, '0') : '';
  let zone = m[8] ?? 'Z';
  if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const iso = `${m[1]}-${pad(m[2])}-${pad(m[3])}T${pad(m[4])}:${pad(m[5])}:${pad(m[6])}${frac}${zone}`;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Spark's string of a timestamp: `yyyy-MM-dd HH:mm:ss[.SSS]` (fraction only when non-zero). */
export function formatTimestamp(d: Date): string {
  const base = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  const ms = d.getUTCMilliseconds();
  return ms === 0 ? base : `${base}.${String(ms).padStart(3, '0').replace(/0+$/, '')}`;
}

export function formatDate(d: Date): string {
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
}

/** The words Spark's string → double cast takes besides numbers (Cast.processFloatingPointSpecialLiterals). */
const SPECIAL_DOUBLES = new Map([
  ['nan', NaN], ['inf', Infinity], ['+inf', Infinity], ['infinity', Infinity], ['+infinity', Infinity],
  ['-inf', -Infinity], ['-infinity', -Infinity],
]);

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const t = v.trim();
    return NUM_RE.test(t) ? Number(t) : (SPECIAL_DOUBLES.get(t.toLowerCase()) ?? null);
  }
  if (v instanceof Date) return v.getTime() / 1000;
  return null;
}

/** Spark's CAST (non-ANSI): null when the value does not convert. */
export function castValue(v: unknown, to: DataType): unknown {
  if (v === null || v === undefined) return null;
  switch (to) {
    case Types.STRING:
      return valueToString(v);
    case Types.INTEGER:
    case Types.LONG: {
      if (typeof v === 'string') {
        // Spark's UTF8String.toInt/toLong: digits with an optional fraction (dropped), no exponent;
        // a value out of the type's range is null (compared as an integer: doubles round past 2^53).
        const m = /^([+-]?)(\d*)(?:\.\d*)?$/.exec(v.trim());
        if (!m || m[2] === '' && !/\.\d/.test(v)) return null;
        const whole = BigInt(`${m[1]}${m[2] || '0'}`);
        const bound = to === Types.INTEGER ? 2_147_483_648n : 9_223_372_036_854_775_808n;
        return whole >= bound || whole < -bound ? null : Number(whole);
      }
      if (v instanceof Date) return Math.floor(v.getTime() / 1000);
      const n = toNumber(v);
      return n === null || !Number.isFinite(n) ? null : Math.trunc(n);
    }
    case Types.DOUBLE:
    case Types.FLOAT:
      return toNumber(v);
    case Types.BOOLEAN: {
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v !== 0;
      if (typeof v === 'string') {
        const t = v.trim().toLowerCase();
        if (['true', 't', 'yes', 'y', '1'].includes(t)) return true;
        if (['false', 'f', 'no', 'n', '0'].includes(t)) return false;
      }
      return null;
    }
    case Types.TIMESTAMP: {
      if (v instanceof Date) return v;
      if (typeof v === 'number') return new Date(Math.round(v * 1000));
      if (typeof v === 'string') {
        const ms = parseTimestampText(v);
        return ms === null ? null : new Date(ms);
      }
      return null;
    }
    case Types.DATE: {
      const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? parseTimestampText(v) : null;
      if (ms === null) return null;
      return new Date(Math.floor(ms / 86_400_000) * 86_400_000);
    }
    case Types.BINARY:
      return Buffer.isBuffer(v) ? v : Buffer.from(valueToString(v), 'utf8');
  }
  if (to instanceof ArrayType) return Array.isArray(v) ? v.map((x) => castValue(x, to.elementType)) : null;
  if (to instanceof StructType) {
    if (typeof v !== 'object') return null;
    const out: Row = {};
    for (const f of to.fields) out[f.name] = castValue((v as Row)[f.name], f.dataType);
    return out;
  }
  return v;
}

/** A value as Spark's CAST(x AS STRING) writes it. */
/**
 * A DOUBLE as Java's Double.toString writes it (Spark's CAST to STRING, show(), CSV): always a
 * decimal point (`40.0`), and scientific notation outside [1e-3, 1e7) (`1.0E7`, `1.5E-4`).
 */
export function doubleText(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e7) {
    const s = String(v);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [m, e] = v.toExponential().split('e') as [string, string];
  return `${m.includes('.') ? m : `${m}.0`}E${Number(e)}`;
}

/** A value of type `t` as text: a DOUBLE or FLOAT as Java writes it, anything else as valueToString. */
export function typedString(v: unknown, t: DataType): string {
  return typeof v === 'number' && (t === Types.DOUBLE || t === Types.FLOAT) ? doubleText(v) : valueToString(v);
}

export function valueToString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return formatTimestamp(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'number') return Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(v);
  if (Array.isArray(v)) return `[${v.map((x) => (x === null ? 'null' : valueToString(x))).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.values(v).map((x) => (x === null || x === undefined ? 'null' : valueToString(x))).join(', ')}}`;
  }
  return String(v);
}

/** SQL ordering of two non-null values; numbers, strings, booleans, dates, buffers; structs by fields. */
export function compareSql(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return compareNumbers(a, b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Date && b instanceof Date) return compareNumbers(a.getTime(), b.getTime());
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && !(a instanceof Date) && !(b instanceof Date)) {
    const va = Object.values(a);
    const vb = Object.values(b);
    for (let i = 0; i < Math.min(va.length, vb.length); i++) {
      const c = compareNullable(va[i], vb[i]);
      if (c !== 0) return c;
    }
    return va.length - vb.length;
  }
  return compareMixed(a, b);
}

/** Spark's NaN semantics: NaN equals NaN and orders above every other number. */
function compareNumbers(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
}

/**
 * Values of different kinds (operators cast to one type first, so this is a loosely typed
 * column): a time or a number when both convert, else their text — so a value that does not
 * convert never equals everything.
 */
function compareMixed(a: unknown, b: unknown): number {
  const time = a instanceof Date || b instanceof Date;
  if (time || typeof a === 'number' || typeof b === 'number') {
    const x = time ? toMillis(a) : toNumber(a);
    const y = time ? toMillis(b) : toNumber(b);
    if (x !== null && y !== null) return compareNumbers(x, y);
  }
  const x = valueToString(a);
  const y = valueToString(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function toMillis(v: unknown): number | null {
  return v instanceof Date ? v.getTime() : ((castValue(v, Types.TIMESTAMP) as Date | null)?.getTime() ?? null);
}

/** Nulls first (Spark's ascending order). */
export function compareNullable(a: unknown, b: unknown): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  return compareSql(a, b);
}

/** SQL equality of non-null values (dates by time, buffers by bytes, structs by value; NaN = NaN as in Spark). */
export function equalSql(a: unknown, b: unknown): boolean {
  return a === b || compareSql(a, b) === 0;
}

/** Identity of one grouping value: primitives as they are (Map keys compare them by value), others as tagged text. */
export function valueKey(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean') return v;
  if (v instanceof Date) return `\u0000d${v.getTime()}`;
  return `\u0000j${JSON.stringify(v, jsonKey)}`;
}

/**
 * What identifies a grouping key by value (group by, distinct, dedup, join): a primitive for one
 * primitive value, else a string. Primitives are also valid checkpoint state keys.
 */
export function keyOf(values: readonly unknown[]): unknown {
  if (values.length === 1) return valueKey(values[0]);
  return JSON.stringify(values, jsonKey);
}

/** JSON writes NaN and ±Infinity as null: tag them so that they group apart from null (and from each other). */
function jsonKey(_k: string, v: unknown): unknown {
  if (v === undefined) return null;
  return typeof v === 'number' && !Number.isFinite(v) ? `\u0000n${v}` : v;
}
