/**
 * A JSON tree's values as values of a Spark type (Jackson's rules on what fits: see json.ts), and
 * the rows of a schema: how the typed reader (json.ts) makes them.
 */
import { dateOfDay, stringToDate, stringToTimestamp } from './datetime.js';
import { quote } from './jsonWrite.js';
import { DataType, StructType, Types } from './types.js';
import { doubleText, longValue, type Row } from './values.js';

/** A JSON value as a tree, keeping what Jackson knows about a number: only for a scalar, or a value a STRING field takes as its text. */
export type JNode =
  | { k: 's'; v: string }
  | { k: 'i'; raw: string }
  | { k: 'f'; v: number }
  | { k: 'b'; v: boolean }
  | { k: 'n' }
  | { k: 'a'; v: JNode[] }
  | { k: 'o'; v: [string, JNode][] };

/** A JSON value that does not fit its type (the field, or the whole array, becomes null). */
export class Mismatch extends Error {}
export const MISMATCH = new Mismatch('JSON value does not fit its type');
/** What a typed read gives for a value that does not fit (the field stays null). */
export const MISS: unique symbol = Symbol('json mismatch');

export const INT_MIN = -(2n ** 31n);
export const INT_MAX = 2n ** 31n - 1n;
export const LONG_MIN = -(2n ** 63n);
export const LONG_MAX = 2n ** 63n - 1n;

/** The row a malformed document gives. */
export function nullRow(schema: StructType): Row {
  const shape = shapeOf(schema);
  return shape.make(shape.nulls.slice());
}

/** How rows of one schema are read: a field's position by name, and a row made from values by position. */
export interface RowShape {
  /** Names are matched case-sensitively, as Spark's JSON reader does; a repeated name: its last field. */
  index: Map<string, number>;
  types: DataType[];
  nulls: unknown[];
  make: (values: unknown[]) => Row;
}

const shapes = new WeakMap<StructType, RowShape>();

export function shapeOf(schema: StructType): RowShape {
  let shape = shapes.get(schema);
  if (shape === undefined) {
    const names = schema.fields.map((f) => f.name);
    shape = {
      index: new Map(names.map((n, i) => [n, i])),
      types: schema.fields.map((f) => f.dataType),
      nulls: names.map(() => null),
      make: rowMaker(names),
    };
    shapes.set(schema, shape);
  }
  return shape;
}

/**
 * A row from values by position, as one object literal per schema: every row of a schema gets one
 * hidden class (a field-by-field build gave each a chain of them). `__proto__` as a name would set
 * the prototype in a literal, so such a schema is built field by field.
 */
function rowMaker(names: string[]): (values: unknown[]) => Row {
  if (names.includes('__proto__')) {
    return (values) => {
      const out: Row = {};
      names.forEach((n, i) => Object.defineProperty(out, n, { value: values[i], enumerable: true, writable: true, configurable: true }));
      return out;
    };
  }
  const body = names.map((n, i) => `${JSON.stringify(n)}: v[${i}]`).join(', ');
  return new Function('v', `return { ${body} };`) as (values: unknown[]) => Row;
}

/** The value of a JSON scalar as atomic type `t`; throws MISMATCH when it does not fit. */
export function convert(node: JNode, t: DataType): unknown {
  if (node.k === 'n') return null;
  switch (t) {
    case Types.STRING:
      return node.k === 's' ? node.v : jacksonText(node);
    case Types.INTEGER:
    case Types.LONG: {
      if (node.k !== 'i') throw MISMATCH;
      // Up to 15 digits a double holds exactly: no BigInt needed.
      if (node.raw.length <= 15) {
        const n = Number(node.raw);
        if (t === Types.INTEGER && (n < -2147483648 || n > 2147483647)) throw MISMATCH;
        return n === 0 ? 0 : n;
      }
      // Past that, the digits as a bigint: a BIGINT keeps all of them (a bigint past 2^53, see longValue).
      const n = BigInt(node.raw);
      const [min, max] = t === Types.INTEGER ? [INT_MIN, INT_MAX] : [LONG_MIN, LONG_MAX];
      if (n < min || n > max) throw MISMATCH;
      return longValue(n);
    }
    case Types.DOUBLE:
    case Types.FLOAT: {
      // A FLOAT in single precision, as Jackson's getFloatValue.
      if (node.k === 'i') return t === Types.FLOAT ? Math.fround(Number(node.raw)) : Number(node.raw);
      if (node.k === 'f') return t === Types.FLOAT ? Math.fround(node.v) : node.v;
      if (node.k === 's') {
        switch (node.v) {
          case 'NaN': return NaN;
          case '+INF': case '+Infinity': case 'Infinity': return Infinity;
          case '-INF': case '-Infinity': return -Infinity;
        }
      }
      throw MISMATCH;
    }
    case Types.BOOLEAN:
      if (node.k !== 'b') throw MISMATCH;
      return node.v;
    case Types.TIMESTAMP: {
      let ms: number | null = null;
      if (node.k === 'i') {
        // An integer is seconds since the epoch.
        ms = Number(BigInt(node.raw) * 1000n);
        if (!(Math.abs(ms) <= 8.64e15)) ms = null;
      } else if (node.k === 's' && node.v !== '') {
        // Spark's stringToTimestamp, then again without `GMT` (its fallback for Spark 1.x/2.0 text).
        ms = stringToTimestamp(node.v) ?? (node.v.includes('GMT') ? stringToTimestamp(node.v.replaceAll('GMT', '')) : null);
      }
      if (ms === null) throw MISMATCH;
      return new Date(ms);
    }
    case Types.DATE: {
      if (node.k !== 's' || node.v === '') throw MISMATCH;
      let day = stringToDate(node.v) ?? (node.v.includes('GMT') ? stringToDate(node.v.replaceAll('GMT', '')) : null);
      // Spark 1.5 wrote a date as its number of days (Java's Integer.parseInt of the text).
      if (day === null && /^[+-]?\d+$/.test(node.v)) {
        const n = Number(node.v);
        if (n >= -2_147_483_648 && n <= 2_147_483_647 && Math.abs(n) <= 100_000_000) day = n;
      }
      if (day === null) throw MISMATCH;
      return dateOfDay(day);
    }
    case Types.BINARY:
      if (node.k !== 's') throw MISMATCH;
      return Buffer.from(node.v, 'base64');
  }
  return null;
}

/** A JSON value's text as Jackson copies it into a STRING field (compact; a float as a Java double). */
export function jacksonText(node: JNode): string {
  switch (node.k) {
    case 's': return quote(node.v);
    case 'i': return node.raw === '-0' ? '0' : node.raw; // the grammar has no leading zeros: the text is the integer's
    case 'f': return Number.isFinite(node.v) ? doubleText(node.v) : `"${doubleText(node.v)}"`;
    case 'b': return String(node.v);
    case 'n': return 'null';
    case 'a': return `[${node.v.map(jacksonText).join(',')}]`;
    case 'o': return `{${node.v.map(([k, x]) => `${quote(k)}:${jacksonText(x)}`).join(',')}}`;
  }
}
