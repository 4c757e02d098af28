/**
 * JSON ↔ rows, as Spark's JSON data source and from_json/to_json read and write them (Spark 3.5,
 * its Jackson options: single-quoted strings and NaN/Infinity taken, leading zeros and unquoted
 * names not).
 *
 * Reading is PERMISSIVE: a malformed document gives a row whose fields are all null; a field whose
 * JSON value does not fit its type is null and the rest of the row is kept (a nested struct keeps
 * its other fields too), but one bad element makes a whole array null. Spark's Jackson rules
 * decide what fits: an INT/BIGINT takes only an integer literal in range (`"12"`, `12.5` and
 * 99999999999 for an INT are null), a DOUBLE any number and only the strings `NaN`, `Infinity`,
 * `-Infinity`, `+INF`, `-INF`, a BOOLEAN only true/false, a TIMESTAMP a string in Spark's
 * timestamp forms or an integer of seconds, a DATE a string in Spark's date forms (or a number of
 * days in text), and a STRING any value — a non-string as its JSON text, as Jackson writes it
 * (`{"z":1.0}`, `1e2` as `100.0`).
 */
import { ArrayType, DataType, DateValue, StructType, Types } from './types.js';
import { dateOfDay, doubleText, formatDate, stringToDate, stringToTimestamp, type Row } from './values.js';

// ---- Parsing: a JSON tree that keeps what Jackson knows about a number ----

type JNode =
  | { k: 's'; v: string }
  | { k: 'i'; raw: string }
  | { k: 'f'; v: number }
  | { k: 'b'; v: boolean }
  | { k: 'n' }
  | { k: 'a'; v: JNode[] }
  | { k: 'o'; v: [string, JNode][] };

class JsonSyntaxError extends Error {}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', "'": "'" };

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/** Reads the first JSON value of `text` (what follows it is not read, as Spark's parser does). */
class Reader {
  private i = 0;
  constructor(private readonly s: string) {}

  /** The first value, or undefined when the text holds none (only whitespace). */
  first(): JNode | undefined {
    this.ws();
    return this.i >= this.s.length ? undefined : this.value();
  }

  private fail(): never {
    throw new JsonSyntaxError(`malformed JSON at ${this.i}`);
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else break;
    }
  }

  private word(w: string): boolean {
    if (!this.s.startsWith(w, this.i)) return false;
    this.i += w.length;
    return true;
  }

  private value(): JNode {
    switch (this.s[this.i]) {
      case '{': return this.object();
      case '[': return this.array();
      case '"': case "'": return { k: 's', v: this.string() };
      case 't': if (this.word('true')) return { k: 'b', v: true }; break;
      case 'f': if (this.word('false')) return { k: 'b', v: false }; break;
      case 'n': if (this.word('null')) return { k: 'n' }; break;
      case 'N': if (this.word('NaN')) return { k: 'f', v: NaN }; break;
      case 'I': if (this.word('Infinity')) return { k: 'f', v: Infinity }; break;
      case '+': if (this.word('+Infinity') || this.word('+INF')) return { k: 'f', v: Infinity }; break;
      case '-': if (this.word('-Infinity') || this.word('-INF')) return { k: 'f', v: -Infinity }; return this.number();
      default: return this.number();
    }
    return this.fail();
  }

  private number(): JNode {
    NUMBER.lastIndex = this.i;
    const r = NUMBER.exec(this.s);
    if (!r) this.fail();
    this.i += r[0].length;
    // `01`, `1.` and `1e` are errors in Jackson (leading zeros are not allowed).
    const next = this.s.charCodeAt(this.i);
    if ((next >= 48 && next <= 57) || next === 46 || next === 69 || next === 101) this.fail();
    return r[2] === undefined && r[3] === undefined ? { k: 'i', raw: r[0] } : { k: 'f', v: Number(r[0]) };
  }

  private string(): string {
    const s = this.s;
    const q = s.charCodeAt(this.i++);
    let out = '';
    for (;;) {
      // A run of plain characters at once.
      const start = this.i;
      let c = s.charCodeAt(this.i);
      while (c !== q && c !== 92 && c >= 32) c = s.charCodeAt(++this.i);
      out += s.slice(start, this.i);
      if (this.i >= s.length) this.fail();
      this.i++;
      if (c === q) return out;
      if (c === 92) {
        const e = s[this.i++];
        if (e === 'u') {
          const h = s.slice(this.i, this.i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) this.fail();
          out += String.fromCharCode(parseInt(h, 16));
          this.i += 4;
        } else if (e !== undefined && e in ESCAPES) out += ESCAPES[e];
        else this.fail();
      } else this.fail(); // an unescaped control character
    }
  }

  private array(): JNode {
    this.i++;
    const items: JNode[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return { k: 'a', v: items };
    }
    for (;;) {
      this.ws();
      items.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return { k: 'a', v: items };
      if (c !== ',') this.fail();
    }
  }

  private object(): JNode {
    this.i++;
    const entries: [string, JNode][] = [];
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return { k: 'o', v: entries };
    }
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c !== '"' && c !== "'") this.fail();
      const key = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') this.fail();
      this.ws();
      entries.push([key, this.value()]);
      this.ws();
      const d = this.s[this.i++];
      if (d === '}') return { k: 'o', v: entries };
      if (d !== ',') this.fail();
    }
  }
}

// ---- Converting a tree to values of a type ----

/** A JSON value that does not fit its type (the field, or the whole array, becomes null). */
class Mismatch extends Error {}
const MISMATCH = new Mismatch('JSON value does not fit its type');

const INT_MIN = -(2n ** 31n);
const INT_MAX = 2n ** 31n - 1n;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** The row a malformed document gives. */
export function nullRow(schema: StructType): Row {
  const out: Row = {};
  for (const f of schema.fields) out[f.name] = null;
  return out;
}

const fieldTypeCache = new WeakMap<StructType, Map<string, DataType>>();

/** The fields of a schema by name (names are matched case-sensitively, as Spark's JSON reader does). */
function fieldTypes(schema: StructType): Map<string, DataType> {
  let m = fieldTypeCache.get(schema);
  if (m === undefined) {
    m = new Map(schema.fields.map((f) => [f.name, f.dataType]));
    fieldTypeCache.set(schema, m);
  }
  return m;
}

/**
 * A JSON object as a row of `schema`: fields in the order the document gives them (a repeated
 * name: the last one that fits), a field that does not fit is left null, the others kept.
 */
function convertObject(entries: [string, JNode][], schema: StructType): Row {
  const out = nullRow(schema);
  const types = fieldTypes(schema);
  for (const [name, node] of entries) {
    const t = types.get(name);
    if (t === undefined) continue;
    try {
      out[name] = convert(node, t);
    } catch (e) {
      if (!(e instanceof Mismatch)) throw e;
    }
  }
  return out;
}

/** The value of a JSON tree as type `t`; throws MISMATCH when it does not fit. */
function convert(node: JNode, t: DataType): unknown {
  if (node.k === 'n') return null;
  if (t instanceof StructType) {
    if (node.k !== 'o') throw MISMATCH;
    return convertObject(node.v, t);
  }
  if (t instanceof ArrayType) {
    if (node.k !== 'a') throw MISMATCH;
    return node.v.map((x) => convert(x, t.elementType));
  }
  switch (t) {
    case Types.STRING:
      return node.k === 's' ? node.v : jacksonText(node);
    case Types.INTEGER:
    case Types.LONG: {
      if (node.k !== 'i') throw MISMATCH;
      const n = BigInt(node.raw);
      const [min, max] = t === Types.INTEGER ? [INT_MIN, INT_MAX] : [LONG_MIN, LONG_MAX];
      if (n < min || n > max) throw MISMATCH;
      return Number(n);
    }
    case Types.DOUBLE:
    case Types.FLOAT:
      if (node.k === 'i') return Number(node.raw);
      if (node.k === 'f') return node.v;
      if (node.k === 's') {
        switch (node.v) {
          case 'NaN': return NaN;
          case '+INF': case '+Infinity': case 'Infinity': return Infinity;
          case '-INF': case '-Infinity': return -Infinity;
        }
      }
      throw MISMATCH;
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
function jacksonText(node: JNode): string {
  switch (node.k) {
    case 's': return quote(node.v);
    case 'i': return BigInt(node.raw).toString();
    case 'f': return Number.isFinite(node.v) ? doubleText(node.v) : `"${doubleText(node.v)}"`;
    case 'b': return String(node.v);
    case 'n': return 'null';
    case 'a': return `[${node.v.map(jacksonText).join(',')}]`;
    case 'o': return `{${node.v.map(([k, x]) => `${quote(k)}:${jacksonText(x)}`).join(',')}}`;
  }
}

function parseFirst(text: string): JNode | undefined | JsonSyntaxError {
  try {
    return new Reader(text).first();
  } catch (e) {
    if (e instanceof JsonSyntaxError) return e;
    // Nested deeper than the stack: malformed, as Jackson refuses a document past its depth limit
    // (a row of nulls in PERMISSIVE mode, never the query's end).
    if (e instanceof RangeError) return new JsonSyntaxError(`JSON nested too deeply: ${e.message}`);
    throw e;
  }
}

/**
 * Parses one JSON document into a row of `schema` (from_json, PERMISSIVE): null for null or
 * blank text; a row of nulls for a malformed document or one that is not an object.
 */
export function parseJsonRow(text: string | null, schema: StructType): Row | null {
  if (text === null || text === undefined) return null;
  const doc = parseFirst(text);
  if (doc === undefined) return null;
  if (doc instanceof JsonSyntaxError || doc.k !== 'o') return nullRow(schema);
  return convertObject(doc.v, schema);
}

/**
 * The rows of one line of a JSON file (the file source): an object is a row, an array of
 * objects a row each; anything else (or malformed text) one row of nulls.
 */
export function parseJsonRows(text: string, schema: StructType): Row[] {
  const doc = parseFirst(text);
  if (doc === undefined) return [];
  if (doc instanceof JsonSyntaxError) return [nullRow(schema)];
  if (doc.k === 'o') return [convertObject(doc.v, schema)];
  if (doc.k === 'a' && doc.v.every((x) => x.k === 'o')) return doc.v.map((x) => convertObject((x as { v: [string, JNode][] }).v, schema));
  return [nullRow(schema)];
}

// ---- Writing ----

/** A string as Jackson writes it: `"` `\` and control characters escaped (`\n`, `\u001F`), the rest as is. */
function quote(s: string): string {
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
    return Number.isFinite(v) ? doubleText(v) : `"${doubleText(v)}"`;
  }
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
