/**
 * Value conversions of Spark SQL (non-ANSI mode): CAST, comparisons, and how values print.
 * A cast that cannot convert gives null, never an error (Spark's default). Time is UTC: the
 * session time zone of dstreams is UTC, so a job's results do not depend on the machine's zone.
 */
import { dateOfDay, DAY_MS, formatDate, formatTimestamp, javaTrim, MAX_MS, stringToDate, stringToTimestamp } from './datetime.js';
import { ArrayType, DataType, DateValue, StructType, Types } from './types.js';

export type Row = Record<string, unknown>;

/** The words Spark's string → double cast takes besides numbers (Cast.processFloatingPointSpecialLiterals). */
const SPECIAL_DOUBLES = new Map([
  ['nan', NaN], ['inf', Infinity], ['+inf', Infinity], ['infinity', Infinity], ['+infinity', Infinity],
  ['-inf', -Infinity], ['-infinity', -Infinity],
]);

const JAVA_DOUBLE = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/;
const JAVA_HEX_DOUBLE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)[fFdD]?$/;

/** Spark's CAST(text AS DOUBLE): Java's Double.parseDouble (`1.5d`, `1e3`, `0x1p3`), then inf/infinity/nan in any case. */
function textToDouble(text: string): number | null {
  const t = javaTrim(text);
  if (JAVA_DOUBLE.test(t)) return Number(t.replace(/[fFdD]$/, ''));
  const hex = JAVA_HEX_DOUBLE.exec(t);
  if (hex && (hex[2] || hex[3])) {
    const frac = hex[3] ?? '';
    const v = parseInt(`${hex[2]}${frac}` || '0', 16) * 2 ** (Number(hex[4]) - 4 * frac.length);
    return hex[1] === '-' ? -v : v;
  }
  return SPECIAL_DOUBLES.get(t.toLowerCase()) ?? null;
}

/**
 * A LONG (BIGINT) value in its one form: a number while it is a safe integer, else a bigint — so
 * that a value has one representation (Map keys, grouping, DISTINCT and `===` stay exact). Wraps
 * to 64 bits as Java's long does.
 */
export function longValue(v: bigint): number | bigint {
  const w = BigInt.asIntN(64, v);
  return w >= MIN_SAFE && w <= MAX_SAFE ? Number(w) : w;
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const LONG_MAX = 9_223_372_036_854_775_807n;
const LONG_MIN = -9_223_372_036_854_775_808n;

/** A LONG from an integral number (Java's (long) of a double's integral value; past the range its end). */
function longOfIntegral(d: number): number | bigint {
  if (Number.isSafeInteger(d)) return d;
  if (d >= 9_223_372_036_854_775_807) return LONG_MAX;
  if (d <= -9_223_372_036_854_775_808) return LONG_MIN;
  return BigInt(d);
}

/** abs of a LONG as Java's Math.abs(long): exact, abs(-2^63) is -2^63. */
export function longAbs(v: number | bigint): number | bigint {
  return typeof v === 'number' ? Math.abs(v) : longValue(v < 0n ? -v : v);
}

/**
 * What Spark's UTF8String.trimAll (and toInt/toLong/toBoolean) trims: ASCII white space and
 * control characters (bytes 0x00-0x20 and 0x7F), not U+00A0 or U+FEFF as JavaScript's trim does.
 */
export function sparkTrimAll(s: string): string {
  return s.replace(/^[\x00-\x20\x7f]+|[\x00-\x20\x7f]+$/g, '');
}

/**
 * Spark's string order (UTF8String.binaryCompare): by UTF-8 bytes, that is by code point. UTF-16
 * order agrees except between a surrogate (a code point past U+FFFF) and U+E000-U+FFFF.
 */
export function compareStrings(a: string, b: string): number {
  // `<` is right unless the lesser string's first differing unit is a surrogate (and the other's
  // U+E000-U+FFFF): only then are the code units walked.
  if (a < b) return SURROGATE.test(a) ? compareCodePoints(a, b) : -1;
  if (a > b) return SURROGATE.test(b) ? compareCodePoints(a, b) : 1;
  return 0;
}

const SURROGATE = /[\ud800-\udfff]/;

function compareCodePoints(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800 && (x < 0xe000) !== (y < 0xe000)) return x < 0xe000 ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** The shortest decimal of a FLOAT (single precision) that reads back as it, as Java's Float.toString finds. */
function floatDigits(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  for (let p = 1; p < 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return d;
  }
  return v;
}

/** A FLOAT as Java's Float.toString writes it (`0.1`, `1.0E10`), where a double's digits would show the rounding (0.10000000149011612). */
export function floatText(v: number): string {
  return doubleText(floatDigits(v));
}

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return textToDouble(v);
  if (v instanceof Date) return v.getTime() / 1000;
  return null;
}

function isFractional(v: number, from: DataType | undefined): boolean {
  return from === Types.DOUBLE || from === Types.FLOAT || (from === undefined && !Number.isInteger(v));
}

/**
 * Spark's CAST (non-ANSI): null when the value does not convert. `from` is the value's type
 * (the expression's data type); without it a Date is a DATE when it is a DateValue, and a number
 * is a DOUBLE when it has a fraction.
 */
export function castValue(v: unknown, to: DataType, from?: DataType): unknown {
  if (v === null || v === undefined) return null;
  const isDate = v instanceof Date && (from === Types.DATE || (from === undefined && v instanceof DateValue));
  switch (to) {
    case Types.STRING:
      return typedString(v, from);
    case Types.INTEGER:
    case Types.LONG: {
      const int = to === Types.INTEGER;
      if (typeof v === 'string') {
        // Spark's UTF8String.toInt/toLong: ASCII white space and control characters trimmed, digits
        // with an optional fraction (dropped; `.` alone is 0), no exponent; a value out of the
        // type's range is null (compared as an integer: doubles round past 2^53).
        const m = /^([+-]?)(\d*)(\.\d*)?$/.exec(sparkTrimAll(v));
        if (!m || (m[2] === '' && m[3] === undefined)) return null;
        const digits = m[2]!.replace(/^0+/, '') || '0';
        if (digits.length <= 15) {
          const n = Number(digits);
          if (int && n > (m[1] === '-' ? 2_147_483_648 : 2_147_483_647)) return null;
          return m[1] === '-' ? (n === 0 ? 0 : -n) : n;
        }
        const whole = BigInt(`${m[1]}${digits}`);
        if (int) return null; // more than 15 digits: past 2^31
        return whole > LONG_MAX || whole < LONG_MIN ? null : longValue(whole);
      }
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'bigint') return int ? Number(BigInt.asIntN(32, v)) : longValue(v);
      if (v instanceof Date) {
        // A DATE has no number (null); a TIMESTAMP is its whole seconds, an INT keeping their low 32 bits.
        if (isDate) return null;
        const secs = Math.floor(v.getTime() / 1000);
        return int ? secs | 0 : secs;
      }
      if (typeof v !== 'number') return null;
      if (isFractional(v, from)) {
        // Java's (int)/(long) of a double: NaN is 0, a value past the range is the range's end.
        if (Number.isNaN(v)) return 0;
        if (!int) return longOfIntegral(Math.trunc(v) || 0);
        return v >= 2_147_483_647 ? 2_147_483_647 : v <= -2_147_483_648 ? -2_147_483_648 : Math.trunc(v) || 0;
      }
      // A long to an int keeps its low 32 bits (Java's (int)); a long stays exact.
      return int ? v | 0 : Number.isSafeInteger(v) ? v : longOfIntegral(v);
    }
    case Types.DOUBLE:
      return isDate ? null : toNumber(v);
    case Types.FLOAT: {
      // Single precision, as Spark's FloatType.
      const n = isDate ? null : toNumber(v);
      return n === null ? null : Math.fround(n);
    }
    case Types.BOOLEAN: {
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v !== 0;
      if (typeof v === 'bigint') return v !== 0n;
      if (typeof v === 'string') {
        const t = sparkTrimAll(v).toLowerCase();
        if (['true', 't', 'yes', 'y', '1'].includes(t)) return true;
        if (['false', 'f', 'no', 'n', '0'].includes(t)) return false;
      }
      if (v instanceof Date) return isDate ? null : v.getTime() !== 0;
      return null;
    }
    case Types.TIMESTAMP: {
      if (v instanceof DateValue) return new Date(v.getTime());
      if (v instanceof Date) return v;
      if (typeof v === 'number' || typeof v === 'bigint') {
        // Seconds since the epoch (a double's microseconds truncated, as Spark's doubleToTimestamp).
        const n = Number(v);
        if (!Number.isFinite(n)) return null;
        const ms = Math.floor(Math.trunc(n * 1e6) / 1000);
        return Math.abs(ms) <= MAX_MS ? new Date(ms) : null;
      }
      if (typeof v === 'boolean') return new Date(0);
      if (typeof v === 'string') {
        const ms = stringToTimestamp(v);
        return ms === null ? null : new Date(ms);
      }
      return null;
    }
    case Types.DATE: {
      if (v instanceof DateValue) return v;
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : dateOfDay(Math.floor(v.getTime() / DAY_MS));
      if (typeof v === 'string') {
        const day = stringToDate(v);
        return day === null ? null : dateOfDay(day);
      }
      return null;
    }
    case Types.BINARY:
      return Buffer.isBuffer(v) ? v : Buffer.from(typedString(v, from), 'utf8');
  }
  if (to instanceof ArrayType) {
    if (!Array.isArray(v)) return null;
    const el = from instanceof ArrayType ? from.elementType : undefined;
    return v.map((x) => castValue(x, to.elementType, el));
  }
  if (to instanceof StructType) {
    if (typeof v !== 'object') return null;
    const out: Row = {};
    // Spark casts a struct field by field, by position; without the source type, by name.
    const src = from instanceof StructType && from.fields.length === to.fields.length ? from.fields : undefined;
    to.fields.forEach((f, i) => {
      const sf = src?.[i];
      out[f.name] = castValue((v as Row)[sf ? sf.name : f.name], f.dataType, sf?.dataType);
    });
    return out;
  }
  return v;
}

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

/**
 * A value of type `t` as Spark's CAST(x AS STRING) writes it: a DOUBLE or FLOAT as Java writes it
 * (`2.0`), a DATE `2017-01-01`, a TIMESTAMP `2017-01-01 10:00:00[.5]`, an array `[a, b]`, a struct
 * `{a, b}` (null inside as `null`). Without `t` the value's own kind decides: a DateValue is a date,
 * another Date a timestamp, a number with a fraction a double.
 */
export function typedString(v: unknown, t?: DataType): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (t === Types.FLOAT) return floatText(v);
    const double = t === Types.DOUBLE || (t !== Types.INTEGER && t !== Types.LONG && !Number.isInteger(v));
    return double ? doubleText(v) : String(v);
  }
  if (v instanceof Date) {
    const date = t === Types.DATE || (t !== Types.TIMESTAMP && v instanceof DateValue);
    return date ? formatDate(v) : formatTimestamp(v);
  }
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) {
    const el = t instanceof ArrayType ? t.elementType : undefined;
    return `[${v.map((x) => (x === null || x === undefined ? 'null' : typedString(x, el))).join(', ')}]`;
  }
  if (typeof v === 'object' && v !== null) {
    const row = v as Row;
    const parts =
      t instanceof StructType
        ? t.fields.map((f) => [row[f.name], f.dataType] as const)
        : Object.values(row).map((x) => [x, undefined] as const);
    return `{${parts.map(([x, ft]) => (x === null || x === undefined ? 'null' : typedString(x, ft))).join(', ')}}`;
  }
  return String(v);
}

/** A value of type `t` as text (CAST to STRING); the name the string functions use. */
export const valueText = typedString;

/** A value as CAST(x AS STRING) writes it when its type is not at hand (see typedString). */
export function valueToString(v: unknown): string {
  return typedString(v);
}

/** SQL ordering of two non-null values; numbers, strings, booleans, dates, buffers; structs by fields. */
export function compareSql(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return compareNumbers(a, b);
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
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
  // A LONG past 2^53 (a bigint) against a number or a bigint: exactly (JavaScript compares the two by value).
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'bigint' || ta === 'number') && (tb === 'bigint' || tb === 'number')) return compareNumeric(a as number | bigint, b as number | bigint);
  const time = a instanceof Date || b instanceof Date;
  if (time || typeof a === 'number' || typeof b === 'number') {
    const x = time ? toMillis(a) : toNumber(a);
    const y = time ? toMillis(b) : toNumber(b);
    if (x !== null && y !== null) return compareNumbers(x, y);
  }
  return compareStrings(valueToString(a), valueToString(b));
}

/** A number and a bigint by value (`==` and `<` compare them exactly); NaN above all, as compareNumbers. */
function compareNumeric(a: number | bigint, b: number | bigint): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a == b) return 0; // eslint-disable-line eqeqeq
  const an = typeof a === 'number' && Number.isNaN(a);
  const bn = typeof b === 'number' && Number.isNaN(b);
  return an ? (bn ? 0 : 1) : -1;
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
  // A bigint is a Map key by value; one within 2^53 (not in its one form) as the number.
  if (t === 'bigint') return longKey(v as bigint);
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
  if (typeof v === 'bigint') {
    const k = longKey(v);
    return typeof k === 'bigint' ? `\u0000b${k}` : k;
  }
  return typeof v === 'number' && !Number.isFinite(v) ? `\u0000n${v}` : v;
}

function longKey(v: bigint): number | bigint {
  return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
}
