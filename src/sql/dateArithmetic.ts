/**
 * Spark's date arithmetic (non-ANSI): `dt + n`, `n + dt` and `dt - n` are date_add and date_sub
 * (n an INT; another type fails as date_add's UNEXPECTED_INPUT_TYPE, a string as the double Spark
 * reads it as), named as those calls; a date or timestamp less another is an interval, which
 * dstreams has no column type for, so it fails naming the operation; a timestamp plus a number
 * fails as Spark's BINARY_OP_DIFF_TYPES. Undefined: no date or timestamp, plain arithmetic.
 */
import { AnalysisException } from './errors.js';
import type { BindContext, Bound, Expr } from './expressions.js';
import { DATE_FUNCTIONS } from './dateFunctions.js';
import { callName } from './dateKit.js';
import { DataType, Types, isNumeric } from './types.js';

export function dateArithmetic(op: string, name: string, raw: [Expr, Expr], [l, r]: [Bound, Bound], ctx: BindContext): { bound: Bound; name: string } | undefined {
  const dated = (t: DataType) => t === Types.DATE || t === Types.TIMESTAMP;
  if (!dated(l.type) && !dated(r.type)) return undefined;
  if (op === '-' && dated(l.type) && dated(r.type)) {
    const interval = l.type === Types.DATE && r.type === Types.DATE ? 'INTERVAL DAY' : 'INTERVAL DAY TO SECOND';
    throw new AnalysisException(
      `[UNSUPPORTED_OPERATION] Cannot resolve "${name}": a ${l.type.simpleString()} less a ${r.type.simpleString()} is Spark's ${interval}, ` +
        'and dstreams has no interval column type (datediff(end, start) gives the days between two dates).',
    );
  }
  const dateLeft = l.type === Types.DATE && (r.type !== Types.DATE || op === '+');
  if (dateLeft || (op === '+' && r.type === Types.DATE)) {
    const [d, n] = dateLeft ? [l, r] : [r, l];
    const args = dateLeft ? raw : [raw[1], raw[0]];
    const fn = op === '+' ? 'date_add' : 'date_sub';
    // `dt + '1'`: the string is read as a double for arithmetic, which date_add takes not.
    const days = n.type === Types.STRING ? { type: Types.DOUBLE, eval: n.eval } : n;
    return { bound: DATE_FUNCTIONS[fn]!([d, days], ctx, args), name: callName(fn, args) };
  }
  if (isNumeric(l.type) || isNumeric(r.type) || l.type === Types.NULL || r.type === Types.NULL) {
    const types = `("${l.type.simpleString().toUpperCase()}" and "${r.type.simpleString().toUpperCase()}")`;
    throw new AnalysisException(
      `[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] Cannot resolve "${name}" due to data type mismatch: the left and right operands of the binary operator have incompatible types ${types}.`,
    );
  }
  return undefined;
}
