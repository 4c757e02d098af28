/**
 * Spark's rounding functions. round rounds half away from zero (HALF_UP) on the number's shortest
 * decimal text, as Spark's BigDecimal of a double does, so round(2.675, 2) is 2.68 where a binary
 * multiply would give 2.67; it keeps an integer's type. floor and ceil give a BIGINT.
 */
import { AnalysisException } from './errors.js';
import { Types, isNumeric } from './types.js';
import { castValue, longValue } from './values.js';
import { arity, literalArg, type ScalarImpl } from './scalarKit.js';

/** HALF_UP rounding of `x` to `scale` decimal places (negative: to tens, hundreds, …). */
export function roundHalfUp(x: number, scale: number): number {
  if (!Number.isFinite(x)) return x;
  const abs = Math.abs(x);
  const text = String(abs);
  let r: number;
  if (scale < 0) {
    // Divide, not multiply by 0.1^n: 15 / 10 is 1.5 exactly.
    const f = 10 ** -scale;
    r = Math.round(abs / f) * f;
  } else if (!text.includes('e') && scale <= 300) {
    const shifted = Number(`${text}e${scale}`);
    // Past 2^53 a double has no digit at that scale left to round: the value is its own rounding
    // (and its text would be `1e+21`-like, which the shift back cannot read).
    if (shifted >= 2 ** 53) return x;
    r = Number(`${Math.round(shifted)}e-${scale}`);
  } else {
    const f = 10 ** scale;
    r = Math.round(abs * f) / f;
  }
  // A BigDecimal has no negative zero: round(-0.4) is 0.0.
  return x < 0 && r !== 0 ? -r : r;
}

function numberArg(fn: string, t: import('./types.js').DataType): void {
  if (!isNumeric(t) && t !== Types.NULL && t !== Types.STRING) throw new AnalysisException(`${fn}: the argument must be a number, got ${t.simpleString()}`);
}

function floorOrCeil(fn: 'floor' | 'ceil', f: (x: number) => number): ScalarImpl {
  return (args) => {
    arity(fn, args, 1);
    const a = args[0]!;
    numberArg(fn, a.type);
    const e = a.eval;
    const t = a.type;
    const integral = t === Types.INTEGER || t === Types.LONG;
    return {
      type: Types.LONG,
      eval: (r) => {
        const v = e(r);
        if (v === null || v === undefined) return null;
        // An integer is its own floor and ceil (a bigint past 2^53 stays exact).
        if (integral) return v;
        const n = t === Types.STRING ? (castValue(v, Types.DOUBLE) as number | null) : Number(v);
        return n === null ? null : toLong(f(n));
      },
    };
  };
}

/** An integral double as BIGINT, as Java's (long) cast: NaN is 0, past the range its end (exact: a bigint past 2^53). */
function toLong(d: number): number | bigint {
  return castValue(d, Types.LONG, Types.DOUBLE) as number | bigint;
}

function roundBigint(v: bigint, scale: number): number | bigint {
  const f = 10n ** BigInt(-scale);
  const abs = v < 0n ? -v : v;
  const r = ((abs + f / 2n) / f) * f;
  return longValue(v < 0n ? -r : r);
}

export const NUMBER_FUNCTIONS: Record<string, ScalarImpl> = {
  round: (args, _ctx, raw) => {
    arity('round', args, 1, 2);
    const a = args[0]!;
    numberArg('round', a.type);
    const scale = raw[1] === undefined ? 0 : Number(literalArg(raw[1], 'round', 'the scale'));
    if (!Number.isInteger(scale)) throw new AnalysisException(`round: the scale must be an integer, got ${scale}`);
    const e = a.eval;
    const t = a.type === Types.STRING || a.type === Types.NULL ? Types.DOUBLE : a.type;
    const integer = t === Types.INTEGER || t === Types.LONG;
    return {
      type: t,
      eval: (r) => {
        const v = e(r);
        if (v === null || v === undefined) return null;
        if (integer && scale >= 0) return v;
        // A bigint (a BIGINT past 2^53) rounds exactly, HALF_UP to tens, hundreds, …
        if (typeof v === 'bigint') return roundBigint(v, scale);
        const n = typeof v === 'number' ? v : (castValue(v, Types.DOUBLE) as number | null);
        if (n === null) return null;
        const out = roundHalfUp(n, scale);
        return t === Types.INTEGER ? out | 0 : out;
      },
    };
  },
  floor: floorOrCeil('floor', Math.floor),
  ceil: floorOrCeil('ceil', Math.ceil),
};
