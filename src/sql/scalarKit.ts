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

/** A string function of one argument (textOf's text; null in, null out). */
export function text1(type: DataType, f: (s: string) => unknown): ScalarImpl {
  return ([a]) => {
    const text = textOf(a!);
    return { type, eval: (r) => { const s = text(r); return s === null ? null : f(s); } };
  };
}

export function strict1(type: DataType, f: (v: unknown) => unknown): ScalarImpl {
  return ([a]) => {
    const ae = a!.eval;
    return { type, eval: (r) => { const v = ae(r); return v === null || v === undefined ? null : f(v); } };
  };
}

export function literalArg(e: Expr | undefined, fn: string, what: string): unknown {
  if (!(e instanceof Literal)) throw new AnalysisException(`${fn}: ${what} must be a literal`);
  return e.value;
}

/** The argument count a function takes, checked when the call is bound. */
export function arity(fn: string, args: readonly unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new AnalysisException(`${fn} takes ${want} argument${want === '1' ? '' : 's'}, got ${args.length}`);
  }
}
