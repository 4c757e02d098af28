/**
 * JSON text → rows, as Spark's JSON data source and from_json read them (Spark 3.5, its Jackson
 * options: single-quoted strings and NaN/Infinity taken, leading zeros and unquoted names not;
 * writing is jsonWrite.ts).
 *
 * The reader says what parsed and whether the record was malformed; what follows is the parse
 * mode's (parseMode.ts; PERMISSIVE by default). A document that is not JSON (or not an object)
 * gives no fields: a row of nulls in PERMISSIVE. A field whose JSON value does not fit its type is
 * null and the rest of the row is kept (a nested struct keeps its other fields too), but one bad
 * element makes a whole array null; such a record is malformed too. Spark's Jackson rules
 * decide what fits: an INT/BIGINT takes only an integer literal in range (`"12"`, `12.5` and
 * 99999999999 for an INT are null), a DOUBLE any number and only the strings `NaN`, `Infinity`,
 * `-Infinity`, `+INF`, `-INF`, a BOOLEAN only true/false, a TIMESTAMP a string in Spark's
 * timestamp forms or an integer of seconds, a DATE a string in Spark's date forms (or a number of
 * days in text), and a STRING any value — a non-string as its JSON text, as Jackson writes it
 * (`{"z":1.0}`, `1e2` as `100.0`).
 */
import { ArrayType, DataType, StructType, Types } from './types.js';
import { convert, jacksonText, type JNode, MISS, Mismatch, nullRow, shapeOf } from './jsonValues.js';
import type { Row } from './values.js';

// Parsing reads straight into a schema's rows (a field it does not name is checked and skipped,
// never built); a JSON tree (jsonValues.ts) only for a scalar or for a value a STRING field takes
// as its text.

class JsonSyntaxError extends Error {}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', "'": "'" };

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Reads the first JSON value of `text` (what follows it is not read, as Spark's parser does). */
class Reader {
  private i = 0;
  /**
   * Set when a value did not fit its type (a MISS anywhere): the record is malformed for the parse
   * modes (parseMode.ts), though PERMISSIVE keeps what did fit. Only set, never read, on the plain path.
   */
  malformed = false;
  constructor(private readonly s: string) {}

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

  /**
   * The first value read straight as type `t` (from_json's path): a field the schema does not
   * name is checked and skipped, never built; a value that does not fit gives MISS.
   */
  firstAs(t: DataType): unknown {
    this.ws();
    return this.i >= this.s.length ? undefined : this.as(t);
  }

  private as(t: DataType): unknown {
    const c = this.s.charCodeAt(this.i);
    if (c === 110 /* n */ && this.word('null')) return null;
    if (t instanceof StructType) {
      if (c !== 123 /* { */) return this.skipped();
      return this.objectAs(t);
    }
    if (t instanceof ArrayType) {
      if (c !== 91 /* [ */) return this.skipped();
      return this.arrayAs(t.elementType);
    }
    if (t === Types.STRING) return c === 34 || c === 39 ? this.string() : jacksonText(this.value());
    if (c === 123 || c === 91) return this.skipped();
    try {
      return convert(this.value(), t);
    } catch (e) {
      if (e instanceof Mismatch) {
        this.malformed = true;
        return MISS;
      }
      throw e;
    }
  }

  private skipped(): typeof MISS {
    this.skip();
    this.malformed = true;
    return MISS;
  }

  /** A row of `schema` (a repeated name: the last value that fits). */
  private objectAs(schema: StructType): Row {
    const shape = shapeOf(schema);
    const values = shape.nulls.slice();
    this.members((key) => {
      const at = shape.index.get(key);
      if (at === undefined) return this.skip();
      const v = this.as(shape.types[at]!);
      if (v !== MISS) values[at] = v;
    });
    return shape.make(values);
  }

  /** Reads an object's members, `member(key)` reading (or skipping) each one's value. */
  private members(member: (key: string) => void): void {
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c !== '"' && c !== "'") this.fail();
      const key = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') this.fail();
      this.ws();
      member(key);
      this.ws();
      const d = this.s[this.i++];
      if (d === '}') return;
      if (d !== ',') this.fail();
    }
  }

  /** The rows of a JSON file's line: an object is a row, an array of objects a row each, anything else MISS. */
  rowsAs(schema: StructType): Row[] | typeof MISS | undefined {
    this.ws();
    if (this.i >= this.s.length) return undefined;
    const c = this.s[this.i];
    if (c === '{') return [this.objectAs(schema)];
    if (c !== '[') return this.skipped();
    this.i++;
    const rows: Row[] = [];
    let miss = false;
    this.ws();
    if (this.s[this.i] === ']') return rows;
    for (;;) {
      this.ws();
      if (!miss && this.s[this.i] === '{') rows.push(this.objectAs(schema));
      else {
        miss = this.malformed = true;
        this.skip();
      }
      this.ws();
      const d = this.s[this.i++];
      if (d === ']') return miss ? MISS : rows;
      if (d !== ',') this.fail();
    }
  }

  /** An array of `element`s; one element that does not fit makes the whole array MISS. */
  private arrayAs(element: DataType): unknown {
    this.i++;
    const items: unknown[] = [];
    let miss = false;
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return items;
    }
    for (;;) {
      this.ws();
      if (miss) this.skip();
      else {
        const v = this.as(element);
        if (v === MISS) miss = true;
        else items.push(v);
      }
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return miss ? MISS : items;
      if (c !== ',') this.fail();
    }
  }

  /** Checks one value and moves past it without building it. */
  private skip(): void {
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === 34 || c === 39) return this.skipString();
    if (c === 123 || c === 91) {
      const close = c === 123 ? '}' : ']';
      this.i++;
      this.ws();
      if (s[this.i] === close) {
        this.i++;
        return;
      }
      for (;;) {
        this.ws();
        if (c === 123) {
          const q = s[this.i];
          if (q !== '"' && q !== "'") this.fail();
          this.skipString();
          this.ws();
          if (s[this.i++] !== ':') this.fail();
          this.ws();
        }
        this.skip();
        this.ws();
        const d = s[this.i++];
        if (d === close) return;
        if (d !== ',') this.fail();
      }
    }
    this.value(); // a number or a word: small
  }

  private skipString(): void {
    const s = this.s;
    const q = s.charCodeAt(this.i++);
    for (;;) {
      let c = s.charCodeAt(this.i);
      while (c !== q && c !== 92 && c >= 32) c = s.charCodeAt(++this.i);
      if (this.i >= s.length) this.fail();
      this.i++;
      if (c === q) return;
      if (c !== 92) this.fail(); // an unescaped control character
      const e = s[this.i++];
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(s.slice(this.i, this.i + 4))) this.fail();
        this.i += 4;
      } else if (e === undefined || !(e in ESCAPES)) this.fail();
    }
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
    // Jackson's grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?, and no digit, '.' or 'e' right after
    // (`01`, `1.` and `1e` are errors: leading zeros are not allowed).
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s.charCodeAt(i) === 45) i++;
    const first = s.charCodeAt(i);
    if (first === 48) i++;
    else if (first >= 49 && first <= 57) while (isDigit(s.charCodeAt(++i)));
    else this.fail();
    let float = false;
    if (s.charCodeAt(i) === 46 && isDigit(s.charCodeAt(i + 1))) {
      float = true;
      i++;
      while (isDigit(s.charCodeAt(++i)));
    }
    let c = s.charCodeAt(i);
    if (c === 69 || c === 101) {
      const sign = s.charCodeAt(i + 1) === 43 || s.charCodeAt(i + 1) === 45 ? 1 : 0;
      if (isDigit(s.charCodeAt(i + 1 + sign))) {
        float = true;
        i += 1 + sign;
        while (isDigit(s.charCodeAt(++i)));
      }
    }
    this.i = i;
    c = s.charCodeAt(i);
    if (isDigit(c) || c === 46 || c === 69 || c === 101) this.fail();
    const raw = s.slice(start, i);
    return float ? { k: 'f', v: Number(raw) } : { k: 'i', raw };
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
    const entries: [string, JNode][] = [];
    this.members((key) => void entries.push([key, this.value()]));
    return { k: 'o', v: entries };
  }

}

function guarded<T>(read: () => T): T | JsonSyntaxError {
  try {
    return read();
  } catch (e) {
    if (e instanceof JsonSyntaxError) return e;
    // Nested deeper than the stack: malformed, as Jackson refuses a document past its depth limit
    // (a row of nulls in PERMISSIVE mode, never the query's end).
    if (e instanceof RangeError) return new JsonSyntaxError(`JSON nested too deeply: ${e.message}`);
    throw e;
  }
}

/**
 * Parses one JSON document into a row of `schema` (from_json, PERMISSIVE without a corrupt-record
 * column): null for null or blank text; a row of nulls for a malformed document or one that is
 * not an object.
 */
export function parseJsonRow(text: string | null, schema: StructType): Row | null {
  if (text === null || text === undefined) return null;
  const row = guarded(() => new Reader(text).firstAs(schema));
  if (row === undefined) return null;
  // Malformed, or not an object (a null document too: Spark's row of nulls).
  if (row instanceof JsonSyntaxError || row === null || row === MISS) return nullRow(schema);
  return row as Row;
}

/**
 * The rows of one line of a JSON file (the file source, PERMISSIVE without a corrupt-record
 * column): an object is a row, an array of objects a row each; anything else (or malformed text)
 * one row of nulls.
 */
export function parseJsonRows(text: string, schema: StructType): Row[] {
  const rows = guarded(() => new Reader(text).rowsAs(schema));
  if (rows === undefined) return [];
  if (rows instanceof JsonSyntaxError || rows === MISS) return [nullRow(schema)];
  return rows;
}

/**
 * One record as the parse modes see it: the rows that parsed (for a malformed record its partial
 * result: the fields that fit, or no row when the text is not JSON or not an object), and whether
 * it was malformed. Blank text: no row, not malformed.
 */
export interface JsonRecord {
  rows: Row[];
  malformed: boolean;
}

/** A JSON file's record (a line, or a whole multiLine file): an object is a row, an array of objects a row each. */
export function readJsonRecord(text: string, schema: StructType): JsonRecord {
  const reader = new Reader(text);
  const rows = guarded(() => reader.rowsAs(schema));
  if (rows === undefined) return { rows: [], malformed: false };
  if (rows instanceof JsonSyntaxError || rows === MISS) return { rows: [], malformed: true };
  return { rows, malformed: reader.malformed };
}

/** from_json's document: one object (an array, null or a scalar is malformed, as with allowArrayAsStructs off). */
export function readJsonDocument(text: string, schema: StructType): JsonRecord {
  const reader = new Reader(text);
  const row = guarded(() => reader.firstAs(schema));
  if (row === undefined) return { rows: [], malformed: false };
  if (row instanceof JsonSyntaxError || row === null || row === MISS) return { rows: [], malformed: true };
  return { rows: [row as Row], malformed: reader.malformed };
}
