/**
 * A column expression (PySpark's Column, with Scala's method names for the operators:
 * `col('a').gt(1).and(col('b').isNotNull())`). Immutable: every method returns a new Column.
 */
import { described } from '../rdd/checks.js';
import { AnalysisException } from './errors.js';
import { Alias, Cast, ColumnRef, Expr, Literal, Star } from './expressions.js';
import { BinaryOp, CaseWhen, GetField, GetItem, InList, UnaryOp } from './operators.js';
import { PatternMatch } from './patterns.js';
import { resolveFunction } from './builtins.js';
import { parseColumnName } from './names.js';
import { DataType, parseDataType } from './types.js';

/** A column or a value: plain values become literals (`col('n').gt(5)`). */
export type ColumnOrValue = Column | string | number | boolean | Date | null;
/** A column or the name of one (`groupBy('location')`, `select(col('a'))`). */
export type ColumnOrName = Column | string;

export class Column {
  /** Sort direction, for orderBy. */
  readonly descending: boolean;
  /** Where orderBy puts NULLs; undefined is Spark's default (first ascending, last descending). */
  readonly nullsFirst: boolean | undefined;
  constructor(readonly expr: Expr, descending = false, nullsFirst?: boolean) {
    this.descending = descending;
    this.nullsFirst = nullsFirst;
  }

  /** The name Spark gives this column in a result. */
  toString(): string {
    return this.expr.name;
  }

  alias(name: string): Column {
    return new Column(new Alias(unalias(this.expr), name));
  }
  as(name: string): Column {
    return this.alias(name);
  }
  name(name: string): Column {
    return this.alias(name);
  }
  cast(type: DataType | string): Column {
    return new Column(new Cast(this.expr, typeof type === 'string' ? parseDataType(type) : type));
  }
  astype(type: DataType | string): Column {
    return this.cast(type);
  }
  getField(name: string): Column {
    return new Column(new GetField(this.expr, name));
  }
  getItem(key: number | string): Column {
    return new Column(new GetItem(this.expr, new Literal(key)));
  }
  isNull(): Column {
    return new Column(new UnaryOp('IS NULL', this.expr));
  }
  isNotNull(): Column {
    return new Column(new UnaryOp('IS NOT NULL', this.expr));
  }
  equalTo(other: ColumnOrValue): Column {
    return this.binary('=', other);
  }
  eqNullSafe(other: ColumnOrValue): Column {
    return this.binary('<=>', other);
  }
  notEqual(other: ColumnOrValue): Column {
    return this.binary('!=', other);
  }
  gt(other: ColumnOrValue): Column {
    return this.binary('>', other);
  }
  geq(other: ColumnOrValue): Column {
    return this.binary('>=', other);
  }
  lt(other: ColumnOrValue): Column {
    return this.binary('<', other);
  }
  leq(other: ColumnOrValue): Column {
    return this.binary('<=', other);
  }
  plus(other: ColumnOrValue): Column {
    return this.binary('+', other);
  }
  minus(other: ColumnOrValue): Column {
    return this.binary('-', other);
  }
  multiply(other: ColumnOrValue): Column {
    return this.binary('*', other);
  }
  divide(other: ColumnOrValue): Column {
    return this.binary('/', other);
  }
  mod(other: ColumnOrValue): Column {
    return this.binary('%', other);
  }
  and(other: ColumnOrValue): Column {
    return this.binary('AND', other);
  }
  or(other: ColumnOrValue): Column {
    return this.binary('OR', other);
  }
  not(): Column {
    return new Column(new UnaryOp('NOT', this.expr));
  }
  /** `when(cond, v).when(cond2, v2)` */
  when(condition: Column, value: ColumnOrValue): Column {
    const e = this.expr;
    if (!(e instanceof CaseWhen) || e.otherwise) throw new AnalysisException('when() can only follow when(), before otherwise()');
    return new Column(new CaseWhen([...e.branches, [condition.expr, valueExpr(value)]]));
  }
  otherwise(value: ColumnOrValue): Column {
    const e = this.expr;
    if (!(e instanceof CaseWhen) || e.otherwise) throw new AnalysisException('otherwise() can only follow when()');
    return new Column(new CaseWhen(e.branches, valueExpr(value)));
  }
  asc(): Column {
    return new Column(this.expr, false);
  }
  desc(): Column {
    return new Column(this.expr, true);
  }
  asc_nulls_first(): Column {
    return new Column(this.expr, false, true);
  }
  asc_nulls_last(): Column {
    return new Column(this.expr, false, false);
  }
  desc_nulls_first(): Column {
    return new Column(this.expr, true, true);
  }
  desc_nulls_last(): Column {
    return new Column(this.expr, true, false);
  }
  /** SQL LIKE: `%` any characters, `_` one; named `s LIKE a%` as Spark's. */
  like(pattern: string): Column {
    return new Column(new PatternMatch('like', this.expr, new Literal(pattern)));
  }
  /** Case-insensitive LIKE (`ilike(s, A%)`). */
  ilike(pattern: string): Column {
    return new Column(new PatternMatch('ilike', this.expr, new Literal(pattern)));
  }
  /** A regular expression found anywhere in the value (`RLIKE(s, ^a)`). */
  rlike(pattern: string): Column {
    return new Column(new PatternMatch('rlike', this.expr, new Literal(pattern)));
  }
  /** The characters from 1-based `startPos`, `length` of them (Spark's `substring(s, 1, 3)`). */
  substr(startPos: number | Column, length: number | Column): Column {
    return new Column(resolveFunction('substring', [this.expr, valueExpr(startPos), valueExpr(length)]));
  }
  /** `col.isin(1, 2)` or `col.isin([1, 2])`: SQL IN, named `(v IN (1, 2))`. */
  isin(...values: (ColumnOrValue | ColumnOrValue[])[]): Column {
    return new Column(new InList(this.expr, values.flat().map(valueExpr)));
  }

  private binary(op: string, other: ColumnOrValue): Column {
    return new Column(new BinaryOp(op, this.expr, valueExpr(other)));
  }
}

function unalias(e: Expr): Expr {
  return e instanceof Alias ? e.child : e;
}

/** A value argument: a Column's expression, or a literal (strings are values here, not names). */
export function valueExpr(v: ColumnOrValue): Expr {
  return v instanceof Column ? v.expr : new Literal(v);
}

/** A name argument: a Column's expression, or a column by name (`'a.b'` is a path, `'*'` all). */
export function nameExpr(c: ColumnOrName): Expr {
  if (c instanceof Column) return c.expr;
  if (typeof c !== 'string') throw new TypeError(`expected a column or a column name, got ${described(c as unknown)}`);
  if (c === '*') return new Star();
  const parts = parseColumnName(c);
  if (parts[parts.length - 1] === '*') return new Star(parts.slice(0, -1));
  return new ColumnRef(parts);
}
