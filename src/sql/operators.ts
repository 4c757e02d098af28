/**
 * The operator expressions: arithmetic, comparison and logic (SQL NULL semantics: a NULL operand
 * gives NULL, except AND/OR's short cuts and `<=>`), NOT, unary minus, IS [NOT] NULL, struct
 * fields and array elements, CASE WHEN, IN.
 */
import { AnalysisException } from './errors.js';
import { bindField, Expr, Literal, type BindContext, type Bound } from './expressions.js';
import { branchType, castTo, comparisonType, widerCommonType } from './coercion.js';
import { ArrayType, DataType, isNumeric, StructType, Types, widerNumeric } from './types.js';
import { castValue, compareSql, equalSql, longValue, typedString, type Row } from './values.js';
import { dateArithmetic } from './dateArithmetic.js';

const ARITH = new Set(['+', '-', '*', '/', '%']);
const COMPARE = new Set(['=', '!=', '<', '<=', '>', '>=', '<=>']);

export class BinaryOp extends Expr {
  constructor(readonly op: string, readonly left: Expr, readonly right: Expr) {
    super();
  }
  /** Set when binding made `date + n` Spark's date_add (or date_sub), which names the column as its call. */
  private dateCall?: string;
  /** Spark's names: `a != b` and `a <> b` are NOT(a = b); `a || b` is concat(a, b); `dt + 1` is date_add(dt, 1). */
  get name(): string {
    if (this.dateCall !== undefined) return this.dateCall;
    if (this.op === '!=') return `(NOT (${this.left.sql} = ${this.right.sql}))`;
    if (this.op === '||') return `concat(${this.left.sql}, ${this.right.sql})`;
    return `(${this.left.sql} ${this.op} ${this.right.sql})`;
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
      const types = [l.type, r.type];
      return { type: Types.STRING, eval: (row) => concatValues([le(row), re(row)], types) };
    }
    this.dateCall = undefined;
    if (op === '+' || op === '-') {
      const dated = dateArithmetic(this.op, this.name, [this.left, this.right], [l, r], ctx);
      if (dated) {
        this.dateCall = dated.name;
        return dated.bound;
      }
    }
    if (ARITH.has(op)) {
      if (!isNumeric(l.type) && l.type !== Types.NULL && l.type !== Types.STRING) typeError(this, l.type);
      if (!isNumeric(r.type) && r.type !== Types.NULL && r.type !== Types.STRING) typeError(this, r.type);
      const num = (t: DataType) => (t === Types.STRING ? Types.DOUBLE : t);
      const type = op === '/' ? Types.DOUBLE : widerNumeric(num(l.type), num(r.type));
      const f = arith(op, type);
      // A string is read as a double; a LONG in double arithmetic as a double (a bigint past 2^53 too).
      const operand = (t: DataType) =>
        t === Types.STRING ? (v: unknown) => castValue(v, Types.DOUBLE)
        : t === Types.LONG && type !== Types.LONG ? toDouble
        : (v: unknown) => v;
      const lc = operand(l.type);
      const rc = operand(r.type);
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
      const to = comparisonType(l.type, r.type);
      // A LONG against a DOUBLE or FLOAT compares as a double, as Spark casts it (exact against a LONG or an INT).
      const fractional = (t: DataType) => t === Types.DOUBLE || t === Types.FLOAT;
      const asDouble = (b: Bound, other: Bound) => (b.type === Types.LONG && fractional(other.type) ? (row: Row) => toDouble(b.eval(row)) : castTo(b, to));
      const lv = asDouble(l, r);
      const rv = asDouble(r, l);
      if (op === '<=>') {
        return {
          type: Types.BOOLEAN,
          eval: (row) => {
            const a = lv(row);
            const b = rv(row);
            if (a === null || b === null) return a === b;
            return equalSql(a, b);
          },
        };
      }
      return {
        type: Types.BOOLEAN,
        eval: (row) => {
          const a = lv(row);
          const b = rv(row);
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

/**
 * Spark's non-ANSI arithmetic: int and bigint wrap around on overflow as Java's do
 * (`2147483647 + 1` is -2147483648); `/` is a double and a zero divisor gives NULL. A bigint is
 * exact: a number while a safe integer, a bigint past 2^53 (values.ts longValue).
 */
function arith(op: string, type: DataType): (a: number, b: number) => unknown {
  if (type === Types.LONG) return longArith(op);
  const int = type === Types.INTEGER;
  switch (op) {
    case '+': return int ? (a, b) => (a + b) | 0 : (a, b) => a + b;
    case '-': return int ? (a, b) => (a - b) | 0 : (a, b) => a - b;
    case '*': return int ? (a, b) => Math.imul(a, b) : (a, b) => a * b;
    case '/': return (a, b) => (b === 0 ? null : a / b);
    default: return (a, b) => (b === 0 ? null : a % b);
  }
}

/** LONG + - * %: number arithmetic while the operands and the result are safe integers, else bigint, wrapped to 64 bits. */
function longArith(op: string): (a: number | bigint, b: number | bigint) => unknown {
  switch (op) {
    case '+':
      return (a, b) => {
        if (typeof a === 'number' && typeof b === 'number') {
          const v = a + b;
          if (Number.isSafeInteger(v)) return v;
        }
        return longValue(BigInt(a) + BigInt(b));
      };
    case '-':
      return (a, b) => {
        if (typeof a === 'number' && typeof b === 'number') {
          const v = a - b;
          if (Number.isSafeInteger(v)) return v;
        }
        return longValue(BigInt(a) - BigInt(b));
      };
    case '*':
      return (a, b) => {
        if (typeof a === 'number' && typeof b === 'number') {
          const v = a * b;
          if (Number.isSafeInteger(v)) return v === 0 ? 0 : v;
        }
        return longValue(BigInt(a) * BigInt(b));
      };
    case '/':
      return (a, b) => (b == 0 ? null : Number(a) / Number(b)); // eslint-disable-line eqeqeq
    default:
      return (a, b) => {
        if (typeof a === 'number' && typeof b === 'number') return b === 0 ? null : a % b === 0 ? 0 : a % b;
        const d = BigInt(b);
        return d === 0n ? null : longValue(BigInt(a) % d);
      };
  }
}

/** A LONG (a number, or a bigint past 2^53) as a double. */
function toDouble(v: unknown): unknown {
  return typeof v === 'bigint' ? Number(v) : v;
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

export function concatValues(vs: unknown[], types?: DataType[]): string | null {
  let s = '';
  for (let i = 0; i < vs.length; i++) {
    const v = vs[i];
    if (v === null || v === undefined) return null;
    s += typeof v === 'string' ? v : types ? typedString(v, types[i]!) : String(castValue(v, Types.STRING));
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
      case '-': {
        // Spark: a string is read as a double (`-'10'` is -10.0, `-'abc'` NULL); an int wraps (-(-2^31) is -2^31).
        if (c.type === Types.STRING) {
          return { type: Types.DOUBLE, eval: (r) => { const v = castValue(ce(r), Types.DOUBLE) as number | null; return v === null ? null : -v; } };
        }
        if (c.type === Types.INTEGER) return { type: c.type, eval: (r) => { const v = ce(r); return v === null || v === undefined ? null : -(v as number) | 0; } };
        // A bigint exact, wrapping as a Java long (-(-2^63) is -2^63).
        if (c.type === Types.LONG) return { type: c.type, eval: (r) => { const v = ce(r); return v === null || v === undefined ? null : typeof v === 'bigint' ? longValue(-v) : 0 - (v as number); } };
        return { type: c.type, eval: (r) => { const v = ce(r); return v === null || v === undefined ? null : -(v as number); } };
      }
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
    // Spark's CaseWhenCoercion: every value is cast to the branches' wider common type.
    const type = branchType([...bs.map(([, v]) => v.type), ...(o ? [o.type] : [])], 'casewhen', this.name);
    const conds = bs.map(([c]) => c.eval);
    const values = bs.map(([, v]) => castTo(v, type));
    const other = o && castTo(o, type);
    const n = conds.length;
    return {
      type,
      eval: (r) => {
        for (let i = 0; i < n; i++) if (conds[i]!(r) === true) return values[i]!(r);
        return other ? other(r) : null;
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
    const mixed = l.some((e) => !e.type.equals(c.type));
    const to = mixed ? widerCommonType([c.type, ...l.map((e) => e.type)]) : undefined;
    const ce = castTo(c, to);
    const les = l.map((e) => castTo(e, to));
    return {
      type: Types.BOOLEAN,
      eval: (r) => {
        const v = ce(r);
        if (v === null) return null;
        let sawNull = false;
        for (const e of les) {
          const x = e(r);
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

