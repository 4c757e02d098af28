/**
 * Expression trees behind Column: each node resolves against the schema of the rows it will
 * see (`bind`), giving its type and a function of one row. Names follow Spark's generated
 * column names (`count(id)`, `CAST(value AS STRING)`, `(a + 1)`), so a DataFrame's columns read as
 * Spark's do. Aggregates and generators (explode, a sliding window) only bind inside the
 * operators that understand them (groupBy/agg, select).
 */
import { AnalysisException } from './errors.js';
import { ArrayType, DataType, isNumeric, StructType, Types, widerNumeric } from './types.js';
import { castValue, compareSql, equalSql, type Row } from './values.js';

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
    const name = first.name;
    let bound: Bound = { type: first.dataType, eval: (r) => r[name] ?? null };
    for (const p of this.parts.slice(1)) bound = bindField(bound, p, whole);
    return bound;
  }
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

export class Literal extends Expr {
  readonly type: DataType;
  constructor(readonly value: unknown, type?: DataType) {
    super();
    this.type = type ?? literalType(value);
  }
  get name(): string {
    if (this.value === null || this.value === undefined) return 'NULL';
    if (this.value instanceof Date) return `TIMESTAMP '${this.value.toISOString()}'`;
    return String(this.value);
  }
  override get sql(): string {
    return typeof this.value === 'string' ? `'${this.value}'` : this.name;
  }
  bind(): Bound {
    const v = this.value ?? null;
    return { type: this.type, eval: () => v };
  }
}

function literalType(v: unknown): DataType {
  if (v === null || v === undefined) return Types.NULL;
  if (typeof v === 'number') return Number.isInteger(v) ? (Math.abs(v) <= 2147483647 ? Types.INTEGER : Types.LONG) : Types.DOUBLE;
  if (typeof v === 'boolean') return Types.BOOLEAN;
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
    return { type: to, eval: (r) => castValue(ce(r), to) };
  }
  override children(): Expr[] {
    return [this.child];
  }
  override withChildren(c: Expr[]): Expr {
    return new Cast(c[0]!, this.to);
  }
}

export function sqlTypeName(t: DataType): string {
  return t.simpleString().toUpperCase();
}

const ARITH = new Set(['+', '-', '*', '/', '%']);
const COMPARE = new Set(['=', '!=', '<', '<=', '>', '>=', '<=>']);

export class BinaryOp extends Expr {
  constructor(readonly op: string, readonly left: Expr, readonly right: Expr) {
    super();
  }
  get name(): string {
    return `(${this.left.sql} ${this.op === '!=' ? '!=' : this.op} ${this.right.sql})`;
  }
  bind(ctx: BindContext): Bound {
    const l = this.left.bind(ctx);
    const r = this.right.bind(ctx);
    const le = l.eval;
    const re = r.eval;
    const op = this.op;
    if (op === 'AND') {
      return {
        type: Types.BOOLEAN,
        eval: (row) => {
          const a = le(row);
          if (a === false) return false;
          const b = re(row);
          if (b === false) return false;
          return a === null || b === null ? null : true;
        },
      };
    }
    if (op === 'OR') {
      return {
        type: Types.BOOLEAN,
        eval: (row) => {
          const a = le(row);
          if (a === true) return true;
          const b = re(row);
          if (b === true) return true;
          return a === null || b === null ? null : false;
        },
      };
    }
    if (op === '||') {
      return { type: Types.STRING, eval: (row) => concatValues([le(row), re(row)]) };
    }
    if (ARITH.has(op)) {
      if (!isNumeric(l.type) && l.type !== Types.NULL && l.type !== Types.STRING) typeError(this, l.type);
      if (!isNumeric(r.type) && r.type !== Types.NULL && r.type !== Types.STRING) typeError(this, r.type);
      const num = (t: DataType) => (t === Types.STRING ? Types.DOUBLE : t);
      const type = op === '/' ? Types.DOUBLE : widerNumeric(num(l.type), num(r.type));
      const integral = type === Types.INTEGER || type === Types.LONG;
      const f = arith(op, integral);
      const lc = l.type === Types.STRING ? (v: unknown) => castValue(v, Types.DOUBLE) : (v: unknown) => v;
      const rc = r.type === Types.STRING ? (v: unknown) => castValue(v, Types.DOUBLE) : (v: unknown) => v;
      return {
        type,
        eval: (row) => {
          const a = lc(le(row));
          const b = rc(re(row));
          if (a === null || b === null || a === undefined || b === undefined) return null;
          return f(a as number, b as number);
        },
      };
    }
    if (COMPARE.has(op)) {
      const cmp = comparator(op);
      if (op === '<=>') {
        return {
          type: Types.BOOLEAN,
          eval: (row) => {
            const a = le(row);
            const b = re(row);
            if (a === null || b === null) return a === b;
            return equalSql(a, b);
          },
        };
      }
      return {
        type: Types.BOOLEAN,
        eval: (row) => {
          const a = le(row);
          const b = re(row);
          if (a === null || b === null || a === undefined || b === undefined) return null;
          return cmp(a, b);
        },
      };
    }
    throw new AnalysisException(`unknown operator ${op}`);
  }
  override children(): Expr[] {
    return [this.left, this.right];
  }
  override withChildren(c: Expr[]): Expr {
    return new BinaryOp(this.op, c[0]!, c[1]!);
  }
}

function typeError(e: Expr, t: DataType): never {
  throw new AnalysisException(`cannot resolve '${e.name}' due to data type mismatch: ${t.simpleString()} is not a number`);
}

function arith(op: string, integral: boolean): (a: number, b: number) => number | null {
  switch (op) {
    case '+': return (a, b) => a + b;
    case '-': return (a, b) => a - b;
    case '*': return (a, b) => a * b;
    case '/': return (a, b) => (b === 0 ? null : a / b);
    default: return integral ? (a, b) => (b === 0 ? null : a % b) : (a, b) => (b === 0 ? null : a % b);
  }
}

function comparator(op: string): (a: unknown, b: unknown) => boolean {
  switch (op) {
    case '=': return (a, b) => equalSql(a, b);
    case '!=': return (a, b) => !equalSql(a, b);
    case '<': return (a, b) => compareSql(a, b) < 0;
    case '<=': return (a, b) => compareSql(a, b) <= 0;
    case '>': return (a, b) => compareSql(a, b) > 0;
    default: return (a, b) => compareSql(a, b) >= 0;
  }
}

export function concatValues(vs: unknown[]): string | null {
  let s = '';
  for (const v of vs) {
    if (v === null || v === undefined) return null;
    s += typeof v === 'string' ? v : String(castValue(v, Types.STRING));
  }
  return s;
}

export class UnaryOp extends Expr {
  constructor(readonly op: 'NOT' | '-' | 'IS NULL' | 'IS NOT NULL', readonly child: Expr) {
    super();
  }
  get name(): string {
    if (this.op === 'NOT') return `(NOT ${this.child.sql})`;
    if (this.op === '-') return `(- ${this.child.sql})`;
    return `(${this.child.sql} ${this.op})`;
  }
  bind(ctx: BindContext): Bound {
    const c = this.child.bind(ctx);
    const ce = c.eval;
    switch (this.op) {
      case 'NOT':
        return { type: Types.BOOLEAN, eval: (r) => { const v = ce(r); return v === null || v === undefined ? null : !v; } };
      case '-':
        return { type: c.type, eval: (r) => { const v = ce(r); return v === null || v === undefined ? null : -(v as number); } };
      case 'IS NULL':
        return { type: Types.BOOLEAN, eval: (r) => { const v = ce(r); return v === null || v === undefined; } };
      default:
        return { type: Types.BOOLEAN, eval: (r) => { const v = ce(r); return v !== null && v !== undefined; } };
    }
  }
  override children(): Expr[] {
    return [this.child];
  }
  override withChildren(c: Expr[]): Expr {
    return new UnaryOp(this.op, c[0]!);
  }
}

/** `s.field` on any struct-valued expression (`getField`). */
export class GetField extends Expr {
  constructor(readonly child: Expr, readonly field: string) {
    super();
  }
  get name(): string {
    return `${this.child.sql}.${this.field}`;
  }
  bind(ctx: BindContext): Bound {
    return bindField(this.child.bind(ctx), this.field, this.name);
  }
  override children(): Expr[] {
    return [this.child];
  }
  override withChildren(c: Expr[]): Expr {
    return new GetField(c[0]!, this.field);
  }
}

/** `a[i]`: an array element (0-based, null out of range) or a struct field by name. */
export class GetItem extends Expr {
  constructor(readonly child: Expr, readonly index: Expr) {
    super();
  }
  get name(): string {
    return `${this.child.sql}[${this.index.sql}]`;
  }
  bind(ctx: BindContext): Bound {
    const c = this.child.bind(ctx);
    const i = this.index.bind(ctx);
    if (c.type instanceof StructType && this.index instanceof Literal) {
      return bindField(c, String(this.index.value), this.name);
    }
    if (!(c.type instanceof ArrayType)) {
      throw new AnalysisException(`'${this.name}': cannot index a value of type ${c.type.simpleString()}`);
    }
    const ce = c.eval;
    const ie = i.eval;
    return {
      type: c.type.elementType,
      eval: (r) => {
        const a = ce(r) as unknown[] | null;
        const k = ie(r) as number | null;
        if (a === null || a === undefined || k === null) return null;
        return k >= 0 && k < a.length ? (a[k] ?? null) : null;
      },
    };
  }
  override children(): Expr[] {
    return [this.child, this.index];
  }
  override withChildren(c: Expr[]): Expr {
    return new GetItem(c[0]!, c[1]!);
  }
}

/** CASE WHEN … THEN … [ELSE …] END, and when(...).otherwise(...). */
export class CaseWhen extends Expr {
  constructor(readonly branches: [Expr, Expr][], readonly otherwise?: Expr) {
    super();
  }
  get name(): string {
    const b = this.branches.map(([c, v]) => ` WHEN ${c.sql} THEN ${v.sql}`).join('');
    return `CASE${b}${this.otherwise ? ` ELSE ${this.otherwise.sql}` : ''} END`;
  }
  bind(ctx: BindContext): Bound {
    const bs = this.branches.map(([c, v]) => [c.bind(ctx), v.bind(ctx)] as const);
    const o = this.otherwise?.bind(ctx);
    const types = [...bs.map(([, v]) => v.type), ...(o ? [o.type] : [])].filter((t) => t !== Types.NULL);
    const type = types.reduce((a, t) => (isNumeric(a) && isNumeric(t) ? widerNumeric(a, t) : a), types[0] ?? Types.NULL);
    return {
      type,
      eval: (r) => {
        for (const [c, v] of bs) if (c.eval(r) === true) return v.eval(r);
        return o ? o.eval(r) : null;
      },
    };
  }
  override children(): Expr[] {
    return [...this.branches.flat(), ...(this.otherwise ? [this.otherwise] : [])];
  }
  override withChildren(c: Expr[]): Expr {
    const n = this.branches.length;
    const branches: [Expr, Expr][] = [];
    for (let i = 0; i < n; i++) branches.push([c[2 * i]!, c[2 * i + 1]!]);
    return new CaseWhen(branches, this.otherwise ? c[2 * n] : undefined);
  }
}

/** `x IN (a, b, c)`. */
export class InList extends Expr {
  constructor(readonly child: Expr, readonly list: Expr[]) {
    super();
  }
  get name(): string {
    return `(${this.child.sql} IN (${this.list.map((e) => e.sql).join(', ')}))`;
  }
  bind(ctx: BindContext): Bound {
    const c = this.child.bind(ctx);
    const l = this.list.map((e) => e.bind(ctx));
    return {
      type: Types.BOOLEAN,
      eval: (r) => {
        const v = c.eval(r);
        if (v === null) return null;
        let sawNull = false;
        for (const e of l) {
          const x = e.eval(r);
          if (x === null) sawNull = true;
          else if (equalSql(v, x)) return true;
        }
        return sawNull ? null : false;
      },
    };
  }
  override children(): Expr[] {
    return [this.child, ...this.list];
  }
  override withChildren(c: Expr[]): Expr {
    return new InList(c[0]!, c.slice(1));
  }
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
