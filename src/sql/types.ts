/**
 * Spark SQL's data types, with PySpark's constructors (`new StructField(name, type, nullable)`),
 * the builder form (`new StructType().add('TripID', 'integer')`), DDL strings
 * (`"id LONG, location STRING"`) and the tree `printSchema()` prints.
 *
 * Values in rows: string → string, integer/long/double/float → number, boolean → boolean,
 * timestamp → Date, date → DateValue (a Date at midnight UTC), binary → Buffer, array → array, struct → plain object; SQL NULL → null.
 */

/**
 * A DATE value: a Date at midnight UTC that is known to be a date, so that it prints as
 * `2017-01-01` (not as a timestamp) where its column's type is not at hand. CAST to DATE, the
 * JSON, CSV and parquet readers and createDataFrame make these; any Date still reads as a time.
 */
export class DateValue extends Date {}

export abstract class DataType {
  /** Spark's `simpleString` (`string`, `bigint`, `array<int>`, `struct<a:int>`). */
  abstract simpleString(): string;
  /** The name printSchema uses (`string`, `long`, `integer`, `array`, `struct`). */
  abstract typeName(): string;
  equals(other: DataType): boolean {
    return this.simpleString() === other.simpleString();
  }
  toString(): string {
    return this.simpleString();
  }
}

class AtomicType extends DataType {
  constructor(
    private readonly name: string,
    private readonly simple: string,
  ) {
    super();
  }
  simpleString(): string {
    return this.simple;
  }
  typeName(): string {
    return this.name;
  }
}

/** The singletons; the exported constructors below return them (`new StringType()` works too). */
const STRING = new AtomicType('string', 'string');
const INTEGER = new AtomicType('integer', 'int');
const LONG = new AtomicType('long', 'bigint');
const DOUBLE = new AtomicType('double', 'double');
const FLOAT = new AtomicType('float', 'float');
const BOOLEAN = new AtomicType('boolean', 'boolean');
const TIMESTAMP = new AtomicType('timestamp', 'timestamp');
const DATE = new AtomicType('date', 'date');
const BINARY = new AtomicType('binary', 'binary');
const NULL = new AtomicType('void', 'void');

function singleton(t: DataType): new () => DataType {
  // A class whose `new` returns the shared instance: `new StringType()` as in PySpark.
  return function () {
    return t;
  } as unknown as new () => DataType;
}

export const StringType = singleton(STRING);
export const IntegerType = singleton(INTEGER);
export const LongType = singleton(LONG);
export const DoubleType = singleton(DOUBLE);
export const FloatType = singleton(FLOAT);
export const BooleanType = singleton(BOOLEAN);
export const TimestampType = singleton(TIMESTAMP);
export const DateType = singleton(DATE);
export const BinaryType = singleton(BINARY);
export const NullType = singleton(NULL);

export const Types = { STRING, INTEGER, LONG, DOUBLE, FLOAT, BOOLEAN, TIMESTAMP, DATE, BINARY, NULL } as const;

export class ArrayType extends DataType {
  constructor(
    readonly elementType: DataType,
    readonly containsNull = true,
  ) {
    super();
  }
  simpleString(): string {
    return `array<${this.elementType.simpleString()}>`;
  }
  typeName(): string {
    return 'array';
  }
}

export class StructField {
  constructor(
    readonly name: string,
    readonly dataType: DataType,
    readonly nullable = true,
  ) {
    if (typeof name !== 'string') throw new TypeError('StructField needs a name (string)');
    if (!(dataType instanceof DataType)) throw new TypeError(`StructField ${name}: the type must be a DataType`);
  }
}

export class StructType extends DataType {
  private readonly own: StructField[];
  constructor(fields: StructField[] = []) {
    super();
    this.own = [...fields];
  }

  get fields(): StructField[] {
    return this.own;
  }

  /** Listing 7.11's builder: `.add('TripID', 'integer')` or `.add(new StructField(…))`. */
  add(field: string | StructField, type?: DataType | string, nullable = true): StructType {
    const f =
      field instanceof StructField
        ? field
        : new StructField(field, typeof type === 'string' ? parseDataType(type) : (type ?? STRING), nullable);
    return new StructType([...this.fields, f]);
  }

  get fieldNames(): string[] {
    return this.fields.map((f) => f.name);
  }

  field(name: string): StructField | undefined {
    const fields = this.fields;
    return fields.find((f) => f.name === name) ?? fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
  }

  simpleString(): string {
    return `struct<${this.fields.map((f) => `${f.name}:${f.dataType.simpleString()}`).join(',')}>`;
  }
  typeName(): string {
    return 'struct';
  }

  /** Spark's printSchema tree. */
  treeString(): string {
    const lines = ['root'];
    appendFields(lines, this.fields, ' |');
    return lines.join('\n') + '\n';
  }
}

function appendFields(lines: string[], fields: StructField[], prefix: string): void {
  for (const f of fields) {
    lines.push(`${prefix}-- ${f.name}: ${f.dataType.typeName()} (nullable = ${f.nullable})`);
    appendNested(lines, f.dataType, `${prefix}    |`);
  }
}

function appendNested(lines: string[], t: DataType, prefix: string): void {
  if (t instanceof StructType) appendFields(lines, t.fields, prefix);
  else if (t instanceof ArrayType) {
    lines.push(`${prefix}-- element: ${t.elementType.typeName()} (containsNull = ${t.containsNull})`);
    appendNested(lines, t.elementType, `${prefix}    |`);
  }
}

const NAMES: Record<string, DataType> = {
  string: STRING,
  varchar: STRING,
  char: STRING,
  int: INTEGER,
  integer: INTEGER,
  smallint: INTEGER,
  tinyint: INTEGER,
  short: INTEGER,
  byte: INTEGER,
  long: LONG,
  bigint: LONG,
  double: DOUBLE,
  float: FLOAT,
  real: FLOAT,
  decimal: DOUBLE,
  boolean: BOOLEAN,
  bool: BOOLEAN,
  timestamp: TIMESTAMP,
  date: DATE,
  binary: BINARY,
  void: NULL,
};

/** A type name or DDL type (`integer`, `bigint`, `array<string>`, `struct<a:int,b:string>`). */
export function parseDataType(text: string): DataType {
  const p = new TypeParser(text);
  const t = p.type();
  p.end();
  return t;
}

/** A DDL schema string: `"id LONG, location STRING"` (also `"id: long, …"`, or `struct<…>`). */
export function parseDDL(text: string): StructType {
  const p = new TypeParser(text);
  if (/^\s*struct\s*</i.test(text)) {
    const t = p.type();
    p.end();
    return t as StructType;
  }
  const fields = p.fieldList(null);
  p.end();
  return new StructType(fields);
}

/** A schema argument: a StructType or a DDL string. */
export function toSchema(schema: StructType | string): StructType {
  if (schema instanceof StructType) return schema;
  if (typeof schema === 'string') return parseDDL(schema);
  throw new TypeError('a schema must be a StructType or a DDL string such as "id LONG, name STRING"');
}

class TypeParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  private skip(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
  private peek(): string {
    this.skip();
    return this.text[this.pos] ?? '';
  }
  private expect(ch: string): void {
    if (this.peek() !== ch) this.fail(`expected '${ch}'`);
    this.pos++;
  }
  private fail(what: string): never {
    const found = this.pos < this.text.length ? `'${this.text.slice(this.pos, this.pos + 10)}'` : 'end of input';
    throw new SyntaxError(`cannot parse type "${this.text}": ${what} at position ${this.pos}, found ${found}`);
  }
  private ident(): string {
    this.skip();
    if (this.text[this.pos] === '`') {
      const end = this.text.indexOf('`', this.pos + 1);
      if (end < 0) this.fail('unclosed backquote');
      const name = this.text.slice(this.pos + 1, end);
      this.pos = end + 1;
      return name;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a name');
    this.pos += m[0].length;
    return m[0];
  }
  end(): void {
    this.skip();
    if (this.pos < this.text.length) this.fail('unexpected text');
  }
  type(): DataType {
    const name = this.ident().toLowerCase();
    if (name === 'array') {
      this.expect('<');
      const el = this.type();
      this.expect('>');
      return new ArrayType(el);
    }
    if (name === 'struct') {
      this.expect('<');
      const fields = this.peek() === '>' ? [] : this.fieldList('>');
      this.expect('>');
      return new StructType(fields);
    }
    const t = NAMES[name];
    if (t === undefined) {
      this.pos -= name.length;
      this.fail(`unknown type '${name}'`);
    }
    if (this.peek() === '(') {
      // decimal(10,2), varchar(20): the precision does not change the JS value.
      const close = this.text.indexOf(')', this.pos);
      if (close < 0) this.fail("expected ')'");
      this.pos = close + 1;
    }
    return t;
  }
  fieldList(close: string | null): StructField[] {
    const fields: StructField[] = [];
    for (;;) {
      const name = this.ident();
      if (this.peek() === ':') this.pos++;
      const t = this.type();
      let nullable = true;
      this.skip();
      if (/^not\s+null/i.test(this.text.slice(this.pos))) {
        nullable = false;
        this.pos += /^not\s+null/i.exec(this.text.slice(this.pos))![0].length;
      }
      fields.push(new StructField(name, t, nullable));
      const c = this.peek();
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '' || c === close) return fields;
      this.fail("expected ',' between fields");
    }
  }
}

export function isNumeric(t: DataType): boolean {
  return t === INTEGER || t === LONG || t === DOUBLE || t === FLOAT;
}

/** The wider of two numeric types (int + long → long, anything + double → double). */
export function widerNumeric(a: DataType, b: DataType): DataType {
  if (a === DOUBLE || b === DOUBLE || a === FLOAT || b === FLOAT) return DOUBLE;
  if (a === LONG || b === LONG) return LONG;
  if (a === NULL) return b;
  if (b === NULL) return a;
  return INTEGER;
}

/** The type of a JavaScript value, for MemoryStream and createDataFrame without a schema. */
export function inferType(v: unknown): DataType {
  if (v === null || v === undefined) return STRING;
  if (typeof v === 'string') return STRING;
  if (typeof v === 'number') return Number.isInteger(v) ? (Math.abs(v) <= 2147483647 ? INTEGER : LONG) : DOUBLE;
  if (typeof v === 'bigint') return LONG;
  if (typeof v === 'boolean') return BOOLEAN;
  if (v instanceof DateValue) return DATE;
  if (v instanceof Date) return TIMESTAMP;
  if (Buffer.isBuffer(v)) return BINARY;
  if (Array.isArray(v)) return new ArrayType(v.length > 0 ? inferType(v.find((x) => x != null)) : STRING);
  if (typeof v === 'object') {
    return new StructType(Object.entries(v as object).map(([k, x]) => new StructField(k, inferType(x))));
  }
  return STRING;
}

/** The schema of plain-object rows (the first non-null value of a field decides its type; int widens to long/double). */
export function inferSchema(rows: readonly object[]): StructType {
  const fields = new Map<string, DataType>();
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      const t = fields.get(k);
      if (v === null || v === undefined) {
        if (t === undefined) fields.set(k, NULL);
        continue;
      }
      const vt = inferType(v);
      if (t === undefined || t === NULL) fields.set(k, vt);
      else if (isNumeric(t) && isNumeric(vt)) fields.set(k, widerNumeric(t, vt));
    }
  }
  return new StructType([...fields].map(([k, t]) => new StructField(k, t === NULL ? STRING : t)));
}

/**
 * The schema of a MemoryStream whose type is not known yet (`toDF()` before any data or schema):
 * the fields of the data once some arrived; before that `value`, and any other column asked for
 * is taken to exist (as a string) — TypeScript's types are gone at run time, where Spark's
 * `MemoryStream[T]` knows T.
 */
export class PendingStructType extends StructType {
  private readonly asked = new Map<string, StructField>();
  constructor(private readonly resolve: () => StructType | undefined) {
    super([]);
  }
  /** Whether the data (or a schema) has come, so the fields are the data's, not guesses. */
  get known(): boolean {
    return this.resolve() !== undefined;
  }
  override get fields(): StructField[] {
    const r = this.resolve();
    if (r) return r.fields;
    return [new StructField('value', STRING), ...this.asked.values()];
  }
  override field(name: string): StructField | undefined {
    const r = this.resolve();
    if (r) return r.field(name);
    if (name === 'value') return this.fields[0];
    let f = this.asked.get(name);
    if (!f) this.asked.set(name, (f = new StructField(name, STRING)));
    return f;
  }
}
