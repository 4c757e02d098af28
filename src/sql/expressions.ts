/**
 * Expression trees behind Column: each node resolves against the schema of the rows it will
 * see (`bind`), giving its type and a function of one row. Names follow Spark's generated
 * column names (`count(id)`, `CAST(value AS STRING)`, `(a + 1)`), so a DataFrame's columns read as
 * Spark's do. Aggregates and generators (explode, a sliding window) only bind inside the
 * operators that understand them (groupBy/agg, select).
 */
import { AnalysisException } from './errors.js';
import { ArrayType, DataType, DateValue, StructType, Types } from './types.js';
import { castValue, doubleText, floatText, typedString, type Row } from './values.js';

export interface Bound {
  type: DataType;
  eval: (row: Row) => unknown;
}

/** What binding needs besides the input schema: the session clock (current_timestamp). */
export interface BindContext {
  schema: StructType;
  now: () => number;
}

export abstract class Expr {
  /** The column name Spark would give this expression. */
  abstract get name(): string;
  /** Its text inside another expression's name. */
  get sql(): string {
    return this.name;
  }
  abstract bind(ctx: BindContext): Bound;
  children(): Expr[] {
    return [];
  }
  /** Rebuild with new children (same order as children()). */
  withChildren(_c: Expr[]): Expr {
    return this;
  }
  containsAggregate(): boolean {
    return this.children().some((c) => c.containsAggregate());
  }
  /**
   * Spark's `Expression.deterministic`: the same row always gives the same value. Every
   * expression dstreams has is (no rand or uuid); one that is not overrides this, and the
   * optimizer then keeps filters on it where they were written (pushdown.ts).
   */
  get deterministic(): boolean {
    return this.children().every((c) => c.deterministic);
  }
}

/** A column, possibly a path into structs (`a.b.c`); resolution is case-insensitive as Spark's default. */
export class ColumnRef extends Expr {
  constructor(readonly parts: string[]) {
    super();
  }
  get name(): string {
    return this.parts[this.parts.length - 1]!;
  }
  override get sql(): string {
    return this.parts.join('.');
  }
  /**
   * The input column this reads, by its schema name, and the struct fields it reads inside it
   * (empty: the whole column, Spark's attribute reference) — resolved as `bind` resolves.
   */
  resolveIn(schema: StructType): { column: string; path: string[] } | undefined {
    if (this.parts.length > 1) {
      const direct = schema.field(this.parts.join('.'));
      if (direct) return { column: direct.name, path: [] };
    }
    const first = schema.field(this.parts[0]!);
    return first && { column: first.name, path: this.parts.slice(1) };
  }
  bind(ctx: BindContext): Bound {
    const whole = this.parts.join('.');
    const direct = ctx.schema.field(whole);
    if (direct && this.parts.length > 1) {
      const name = direct.name;
      return { type: direct.dataType, eval: (r) => r[name] ?? null };
    }
    const first = ctx.schema.field(this.parts[0]!);
    if (!first) {
      throw new AnalysisException(
        `Column '${whole}' cannot be resolved; input columns: [${ctx.schema.fieldNames.join(', ')}]`,
      );
    }
    let bound: Bound = { type: first.dataType, eval: columnReader(first.name) };
    for (const p of this.parts.slice(1)) bound = bindField(bound, p, whole);
    return bound;
  }
}

/**
 * A function reading one column of a row. Generated per column name so that each has its own
 * inline cache: one shared closure reading `r[name]` for every column of every query goes
 * megamorphic and makes every column read a dictionary lookup (bench/structured-wordcount).
 */
const readers = new Map<string, (r: Row) => unknown>();
export function columnReader(name: string): (r: Row) => unknown {
  let f = readers.get(name);
  if (f === undefined) {
    f = new Function('r', `const v = r[${JSON.stringify(name)}]; return v === undefined ? null : v;`) as (r: Row) => unknown;
    readers.set(name, f);
  }
  return f;
}

export function bindField(parent: Bound, name: string, what: string): Bound {
  const t = parent.type;
  if (t instanceof StructType) {
    const f = t.field(name);
    if (!f) throw new AnalysisException(`No such struct field ${name} in ${t.fieldNames.join(', ')} (resolving '${what}')`);
    const fname = f.name;
    const pe = parent.eval;
    return {
      type: f.dataType,
      eval: (r) => {
        const s = pe(r) as Row | null;
        return s === null || s === undefined ? null : (s[fname] ?? null);
      },
    };
  }
  if (t instanceof ArrayType && t.elementType instanceof StructType) {
    // Spark: a field of an array of structs is the array of that field.
    const inner = bindField({ type: t.elementType, eval: (r) => r }, name, what);
    const pe = parent.eval;
    return {
      type: new ArrayType(inner.type),
      eval: (r) => {
        const a = pe(r) as Row[] | null;
        return a === null || a === undefined ? null : a.map((x) => (x === null ? null : inner.eval(x)));
      },
    };
  }
  throw new AnalysisException(`Can't extract field ${name} from '${what}' of type ${t.simpleString()}`);
}

/** `*` or `a.*`: only meaningful in select, which expands it. */
export class Star extends Expr {
  constructor(readonly qualifier?: string[]) {
    super();
  }
  get name(): string {
    return this.qualifier ? `${this.qualifier.join('.')}.*` : '*';
  }
  bind(): Bound {
    throw new AnalysisException(`'${this.name}' can only be used in select(), selectExpr() or count(*)`);
  }
}

/**
 * A literal, named as Spark prints one: a string is its bare text (`(s = x)`, `concat(s, -)`), a
 * double Java's Double.toString (`1.0E20`), a date, timestamp or binary its SQL form
 * (`DATE '2020-01-01'`, `TIMESTAMP '2020-01-01 10:00:00'`, `X'4142'`). `text`, when given, is the
 * name instead: a decimal literal keeps its scale (`100.00`), which the double it is read as lost.
 */
export class Literal extends Expr {
  readonly type: DataType;
  constructor(readonly value: unknown, type?: DataType, readonly text?: string) {
    super();
    this.type = type ?? literalType(value);
  }
  get name(): string {
    const v = this.value;
    if (this.text !== undefined) return this.text;
    if (v === null || v === undefined) return 'NULL';
    if (typeof v === 'number' && this.type === Types.DOUBLE) return doubleText(v);
    if (typeof v === 'number' && this.type === Types.FLOAT) return floatText(v);
    if (v instanceof Date) return this.type === Types.DATE ? `DATE '${typedString(v, Types.DATE)}'` : `TIMESTAMP '${typedString(v, Types.TIMESTAMP)}'`;
    if (Buffer.isBuffer(v)) return `X'${v.toString('hex').toUpperCase()}'`;
    return String(v);
  }
  bind(): Bound {
    const v = this.value ?? null;
    return { type: this.type, eval: () => v };
  }
}

function literalType(v: unknown): DataType {
  if (v === null || v === undefined) return Types.NULL;
  if (typeof v === 'number') return Number.isInteger(v) ? (v >= -2147483648 && v <= 2147483647 ? Types.INTEGER : Types.LONG) : Types.DOUBLE;
  if (typeof v === 'boolean') return Types.BOOLEAN;
  if (v instanceof DateValue) return Types.DATE;
  if (v instanceof Date) return Types.TIMESTAMP;
  if (Buffer.isBuffer(v)) return Types.BINARY;
  return Types.STRING;
}

export class Alias extends Expr {
  constructor(readonly child: Expr, readonly alias: string) {
    super();
  }
  get name(): string {
    return this.alias;
  }
  override get sql(): string {
    return this.child.sql;
  }
  bind(ctx: BindContext): Bound {
    return this.child.bind(ctx);
  }
  override children(): Expr[] {
    return [this.child];
  }
  override withChildren(c: Expr[]): Expr {
    return new Alias(c[0]!, this.alias);
  }
}

export class Cast extends Expr {
  constructor(readonly child: Expr, readonly to: DataType) {
    super();
  }
  /** Spark's ResolveAliases: a cast of a column keeps the column's name (`CAST(value AS STRING)` is `value`). */
  get name(): string {
    return this.child instanceof ColumnRef ? this.child.name : this.sql;
  }
  override get sql(): string {
    return `CAST(${this.child.sql} AS ${sqlTypeName(this.to)})`;
  }
  bind(ctx: BindContext): Bound {
    const c = this.child.bind(ctx);
    const to = this.to;
    const ce = c.eval;
    if (c.type.equals(to)) return { type: to, eval: ce };
    if (to === Types.STRING && (c.type === Types.DOUBLE || c.type === Types.FLOAT)) {
      const from = c.type;
      return { type: to, eval: (r) => castDoubleToString(ce(r), from) };
    }
    const from = c.type;
    return { type: to, eval: (r) => castValue(ce(r), to, from) };
  }
  override children(): Expr[] {
    return [this.child];
  }
  override withChildren(c: Expr[]): Expr {
    return new Cast(c[0]!, this.to);
  }
}

function castDoubleToString(v: unknown, from: DataType): string | null {
  return v === null || v === undefined ? null : typedString(v, from);
}

export function sqlTypeName(t: DataType): string {
  return t.simpleString().toUpperCase();
}

/** Replace every node for which `f` returns an expression, bottom-up elsewhere. */
export function transformExpr(e: Expr, f: (e: Expr) => Expr | undefined): Expr {
  const replaced = f(e);
  if (replaced !== undefined) return replaced;
  const cs = e.children();
  if (cs.length === 0) return e;
  const next = cs.map((c) => transformExpr(c, f));
  return next.every((c, i) => c === cs[i]) ? e : e.withChildren(next);
}

/** Every node of the tree, parents first. */
export function* walkExpr(e: Expr): Generator<Expr> {
  yield e;
  for (const c of e.children()) yield* walkExpr(c);
}
