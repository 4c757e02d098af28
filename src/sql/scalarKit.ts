/**
 * What every scalar function's implementation is made of: `ScalarImpl` binds a call's arguments to
 * its type and row function; the helpers give Spark's null-in, null-out rule once.
 */
import { AnalysisException } from './errors.js';
import { Literal, type BindContext, type Bound, type Expr } from './expressions.js';
import type { DataType } from './types.js';
import { typedString, type Row } from './values.js';

export type ScalarImpl = (args: Bound[], ctx: BindContext, raw: Expr[]) => Bound;

/** An argument read as text: null stays null, a non-string is its text as CAST gives it (a double is `40.0`). */
export function textOf(b: Bound): (r: Row) => string | null {
  const e = b.eval;
  const t = b.type;
  return (r) => {
    const v = e(r);
    return v === null || v === undefined ? null : typeof v === 'string' ? v : typedString(v, t);
  };
}

/** A string function of one argument (textOf's text; null in, null out); another argument fails as Spark's WRONG_NUM_ARGS. */
export function text1(fn: string, type: DataType, f: (s: string) => unknown): ScalarImpl {
  return (args) => {
    arity(fn, args, 1);
    const text = textOf(args[0]!);
    return { type, eval: (r) => { const s = text(r); return s === null ? null : f(s); } };
  };
}

/** A function of one argument of any type (null in, null out); another argument fails as Spark's WRONG_NUM_ARGS. */
export function strict1(fn: string, type: DataType, f: (v: unknown) => unknown): ScalarImpl {
  return (args) => {
    arity(fn, args, 1);
    const ae = args[0]!.eval;
    return { type, eval: (r) => { const v = ae(r); return v === null || v === undefined ? null : f(v); } };
  };
}

export function literalArg(e: Expr | undefined, fn: string, what: string): unknown {
  if (!(e instanceof Literal)) throw new AnalysisException(`${fn}: ${what} must be a literal`);
  return e.value;
}

/**
 * The argument count a function takes, checked when the call is bound; a wrong count fails with
 * Spark's WRONG_NUM_ARGS text (`requires 1 parameters`, `requires [1, 2] parameters`, `requires > 0 parameters`).
 */
export function arity(fn: string, args: readonly unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const counts = Array.from({ length: Math.min(max, min + 8) - min + 1 }, (_, i) => min + i);
    const want = min === max ? `${min}` : max === Infinity ? `> ${min - 1}` : `[${counts.join(', ')}]`;
    throw new AnalysisException(
      `[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The \`${fn}\` requires ${want} parameters but the actual number is ${args.length}. Please, refer to 'https://spark.apache.org/docs/latest/sql-ref-functions.html' for a fix.`,
    );
  }
}
