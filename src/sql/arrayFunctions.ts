/**
 * Spark's array functions: size (-1 for a NULL array, Spark's default without ANSI mode) and
 * array_contains (NULL when the value is not found but the array holds a NULL, as Spark's
 * three-valued logic).
 */
import { AnalysisException } from './errors.js';
import { sqlTypeName } from './expressions.js';
import { ArrayType, Types, isNumeric } from './types.js';
import { compareSql } from './values.js';
import { arity, type ScalarImpl } from './scalarKit.js';

export const ARRAY_FUNCTIONS: Record<string, ScalarImpl> = {
  size: (args) => {
    arity('size', args, 1);
    const a = args[0]!;
    if (!(a.type instanceof ArrayType) && a.type !== Types.NULL) throw new AnalysisException(`size: the argument must be an array, got ${a.type.simpleString()}`);
    const e = a.eval;
    return {
      type: Types.INTEGER,
      eval: (r) => {
        const v = e(r) as unknown[] | null | undefined;
        return v === null || v === undefined ? -1 : v.length;
      },
    };
  },
  array_contains: (args) => {
    arity('array_contains', args, 2);
    const a = args[0]!;
    const x = args[1]!;
    if (!(a.type instanceof ArrayType)) throw new AnalysisException(`array_contains: the first argument must be an array, got ${a.type.simpleString()}`);
    const ae = a.eval;
    const et = a.type.elementType;
    if (x.type !== et && x.type !== Types.NULL && !(isNumeric(x.type) && isNumeric(et))) {
      throw new AnalysisException(
        `[DATATYPE_MISMATCH.ARRAY_FUNCTION_DIFF_TYPES] Input to \`array_contains\` should have been "ARRAY" followed by a value with same element type, but it's ["${sqlTypeName(a.type)}", "${sqlTypeName(x.type)}"].`,
      );
    }
    // Numbers of different widths compare by value, as Spark widens both sides.
    const xe = x.eval;
    return {
      type: Types.BOOLEAN,
      eval: (r) => {
        const arr = ae(r) as unknown[] | null | undefined;
        const v = xe(r);
        if (arr === null || arr === undefined || v === null || v === undefined) return null;
        let sawNull = false;
        for (const el of arr) {
          if (el === null || el === undefined) sawNull = true;
          else if (compareSql(el, v) === 0) return true;
        }
        return sawNull ? null : false;
      },
    };
  },
};
