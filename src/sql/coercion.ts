/**
 * Spark's implicit type coercion (non-ANSI TypeCoercion): the common type of a comparison's two
 * sides, the wider common type of CASE WHEN's branches, coalesce's arguments and an IN list, and
 * the implicit casts that read a value as that type.
 */
import { AnalysisException } from './errors.js';
import { ArrayType, DataType, isNumeric, StructType, Types, widerNumeric } from './types.js';
import { castValue, type Row } from './values.js';
import type { Bound } from './expressions.js';

export const isAtomic = (t: DataType): boolean => !(t instanceof ArrayType) && !(t instanceof StructType) && t !== Types.NULL;

/**
 * The type both sides of a comparison are cast to (Spark's findCommonTypeForBinaryComparison,
 * non-ANSI): a string against another atomic type takes that type, so `'1.5' = 1` casts '1.5' to
 * int and a string that does not convert compares as null. Undefined: compare as they are.
 */
export function comparisonType(l: DataType, r: DataType): DataType | undefined {
  if (l === Types.STRING && r !== Types.STRING && isAtomic(r)) return r;
  if (r === Types.STRING && l !== Types.STRING && isAtomic(l)) return l;
  return undefined;
}

/**
 * Spark's findWiderCommonType: the strings first (findWiderTypeForTwo is not associative once a
 * string is promoted), then the rest. Undefined when some pair has no common type.
 */
export function widerCommonType(types: DataType[]): DataType | undefined {
  const strings = types.some((t) => t === Types.STRING) ? [Types.STRING] : [];
  let to: DataType | undefined = Types.NULL;
  for (const t of [...strings, ...types.filter((x) => x !== Types.STRING)]) to = to && widerType(to, t);
  return to;
}

/** Spark's findWiderTypeForTwo for the atomic types: numbers widen, a date meets a timestamp, others promote to string. */
export function widerType(a: DataType, b: DataType): DataType | undefined {
  if (a.equals(b) || b === Types.NULL) return a;
  if (a === Types.NULL) return b;
  if (isNumeric(a) && isNumeric(b)) return widerNumeric(a, b);
  const pair = new Set([a, b]);
  if (pair.has(Types.TIMESTAMP) && pair.has(Types.DATE)) return Types.TIMESTAMP;
  const promotes = (t: DataType) => isAtomic(t) && t !== Types.BINARY && t !== Types.BOOLEAN;
  if ((a === Types.STRING && promotes(b)) || (b === Types.STRING && promotes(a))) return Types.STRING;
  return undefined;
}

/** A bound side read as type `to` (Spark's implicit Cast); unchanged when no cast is needed. */
export function castTo(b: Bound, to: DataType | undefined): (row: Row) => unknown {
  const e = b.eval;
  if (to === undefined || b.type.equals(to) || b.type === Types.NULL || (isNumeric(b.type) && isNumeric(to))) return e;
  const from = b.type;
  return (row) => castValue(e(row), to, from);
}

/**
 * The type CASE WHEN's values or coalesce's arguments all take (Spark's CaseWhenCoercion and
 * the coalesce rule), failing as Spark's DATA_DIFF_TYPES when there is none.
 */
export function branchType(types: DataType[], fn: string, exprName: string): DataType {
  const to = widerCommonType(types);
  if (to !== undefined) return to;
  const listed = types.map((t) => `"${t.simpleString().toUpperCase()}"`);
  const list = fn === 'casewhen' ? `[${listed.join(', ')}]` : `(${listed.join(' or ')})`;
  throw new AnalysisException(
    `[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve "${exprName}" due to data type mismatch: Input to \`${fn}\` should all be the same type, but it's ${list}.`,
  );
}
