/**
 * Spark's string functions beyond the basic ones: substring, concat_ws, regexp_replace and
 * regexp_extract. Positions and lengths count characters (code points), as Spark's UTF8String
 * does; patterns are Java's regular expressions (javaRegex.ts), compiled once when they are literals.
 */
import { AnalysisException } from './errors.js';
import type { Bound } from './expressions.js';
import { ArrayType, Types, type DataType } from './types.js';
import { typedString, type Row } from './values.js';
import { arity, textOf, type ScalarImpl } from './scalarKit.js';
import { groupCount, javaRegExp, javaReplacement } from './javaRegex.js';

const INT_MAX = 2147483647;

function intOf(b: Bound, fn: string, what: string): (r: Row) => number | null {
  if (b.type !== Types.INTEGER && b.type !== Types.LONG && b.type !== Types.NULL) {
    throw new AnalysisException(`${fn}: ${what} must be an integer, got ${b.type.simpleString()}`);
  }
  const e = b.eval;
  return (r) => {
    const v = e(r);
    return v === null || v === undefined ? null : Number(v);
  };
}

/** UTF8String.substringSQL: 1-based, 0 reads as 1, a negative position counts from the end. */
export function substringSql(s: string, pos: number, length: number): string {
  const chars = Array.from(s);
  let start = pos > 0 ? pos - 1 : pos < 0 ? chars.length + pos : 0;
  const end = Math.min(start + length, INT_MAX);
  start = Math.max(start, 0);
  if (start >= end) return '';
  return chars.slice(start, end).join('');
}

/** A regular expression per pattern value (Java's syntax): literals compile once, a pattern column caches its last. */
function regexOf(fn: string, flags: string): (pattern: string) => RegExp {
  let last: string | undefined;
  let re: RegExp | undefined;
  return (pattern) => {
    if (pattern !== last || re === undefined) {
      re = javaRegExp(pattern, flags, fn);
      last = pattern;
    }
    re.lastIndex = 0;
    return re;
  };
}

export const TEXT_FUNCTIONS: Record<string, ScalarImpl> = {
  // substring(str, pos[, len]); substr is the same function.
  substring: (args) => {
    arity('substring', args, 2, 3);
    const s = textOf(args[0]!);
    const pos = intOf(args[1]!, 'substring', 'the position');
    const len = args[2] === undefined ? () => INT_MAX : intOf(args[2], 'substring', 'the length');
    return {
      type: Types.STRING,
      eval: (r) => {
        const v = s(r);
        const p = pos(r);
        const l = len(r);
        return v === null || p === null || l === null ? null : substringSql(v, p, l);
      },
    };
  },
  // concat_ws(sep, ...): null arguments (and null array elements) are skipped; a null separator gives null.
  concat_ws: (args) => {
    arity('concat_ws', args, 1, Infinity);
    const sep = textOf(args[0]!);
    const parts = args.slice(1).map((a) => {
      if (a.type instanceof ArrayType) {
        const e = a.eval;
        const et: DataType = a.type.elementType;
        return (r: Row, out: string[]) => {
          const arr = e(r) as unknown[] | null;
          if (arr) for (const x of arr) if (x !== null && x !== undefined) out.push(typeof x === 'string' ? x : typedString(x, et));
        };
      }
      const t = textOf(a);
      return (r: Row, out: string[]) => {
        const v = t(r);
        if (v !== null) out.push(v);
      };
    });
    return {
      type: Types.STRING,
      eval: (r) => {
        const s = sep(r);
        if (s === null) return null;
        const out: string[] = [];
        for (const p of parts) p(r, out);
        return out.join(s);
      },
    };
  },
  regexp_replace: (args) => {
    arity('regexp_replace', args, 3, 4);
    const s = textOf(args[0]!);
    const pattern = textOf(args[1]!);
    const rep = textOf(args[2]!);
    const pos = args[3] === undefined ? () => 1 : intOf(args[3], 'regexp_replace', 'the position');
    const regex = regexOf('regexp_replace', 'g');
    let lastRep: string | undefined;
    let lastRe: RegExp | undefined;
    let jsRep = '';
    return {
      type: Types.STRING,
      eval: (r) => {
        const v = s(r);
        const p = pattern(r);
        const x = rep(r);
        const at = pos(r);
        if (v === null || p === null || x === null || at === null) return null;
        if (at < 1) throw new AnalysisException(`regexp_replace: the position must be at least 1, got ${at}`);
        const re = regex(p);
        if (x !== lastRep || re !== lastRe) {
          jsRep = javaReplacement(x, groupCount(re));
          lastRep = x;
          lastRe = re;
        }
        const chars = at === 1 ? undefined : Array.from(v);
        if (chars === undefined) return v.replace(re, jsRep);
        if (at > chars.length) return v;
        return chars.slice(0, at - 1).join('') + chars.slice(at - 1).join('').replace(re, jsRep);
      },
    };
  },
  // regexp_extract(str, regexp[, idx = 1]): the group's text of the first match, '' when none.
  regexp_extract: (args) => {
    arity('regexp_extract', args, 2, 3);
    const s = textOf(args[0]!);
    const pattern = textOf(args[1]!);
    const idx = args[2] === undefined ? () => 1 : intOf(args[2], 'regexp_extract', 'the group index');
    const regex = regexOf('regexp_extract', '');
    return {
      type: Types.STRING,
      eval: (r) => {
        const v = s(r);
        const p = pattern(r);
        const i = idx(r);
        if (v === null || p === null || i === null) return null;
        const re = regex(p);
        const m = re.exec(v);
        if (m === null) return ''; // Spark checks the index only once something matched
        const groups = m.length - 1;
        if (i < 0 || i > groups) {
          throw new Error(`[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value of parameter(s) \`idx\` in \`regexp_extract\` is invalid: Expects group index between 0 and ${groups}, but got ${i}.`);
        }
        return m[i] ?? '';
      },
    };
  },
};
