/**
 * Spark's string functions beyond the basic ones: trim, ltrim, rtrim, split, substring, concat_ws,
 * regexp_replace and regexp_extract. Positions and lengths count characters (code points), as Spark's UTF8String
 * does; patterns are Java's regular expressions (javaRegex.ts), compiled once when they are literals.
 */
import { AnalysisException } from './errors.js';
import type { Bound, Expr } from './expressions.js';
import { ArrayType, Types, isNumeric, type DataType } from './types.js';
import { castValue, typedString, type Row } from './values.js';
import { unexpectedType } from './dateKit.js';
import { arity, literalArg, textOf, type ScalarImpl } from './scalarKit.js';
import { groupCount, javaRegExp, javaReplacement } from './javaRegex.js';

const INT_MAX = 2147483647;

/**
 * An INT argument as Spark's ImplicitCastInputTypes reads it: a number or a string is CAST to INT
 * (`'2'` is 2, 1.9 is 1, a bigint wraps, a double past the range saturates, text that is no
 * number is null); another type fails as Spark's UNEXPECTED_INPUT_TYPE.
 */
function intOf(args: Bound[], raw: Expr[], i: number, fn: string): (r: Row) => number | null {
  const { type: t, eval: e } = args[i]!;
  if (!isNumeric(t) && t !== Types.STRING && t !== Types.NULL) throw unexpectedType(fn, raw, i, t, ['INT']);
  if (t === Types.INTEGER) return (r) => (e(r) as number | null | undefined) ?? null;
  return (r) => castValue(e(r), Types.INTEGER, t) as number | null;
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

/**
 * trim, ltrim, rtrim: of one argument, spaces (U+0020) only, as Spark (JS trim() would take tabs
 * and newlines too); of two, Spark's `trim(trimStr, str)` (the SQL `TRIM(BOTH trimStr FROM str)`),
 * every character (code point) of trimStr off the side or sides of str.
 */
function trimmer(fn: string, start: boolean, end: boolean): ScalarImpl {
  return (args) => {
    arity(fn, args, 1, 2);
    const str = textOf(args[args.length - 1]!);
    const chars = args.length === 2 ? textOf(args[0]!) : () => ' ';
    return {
      type: Types.STRING,
      eval: (r) => {
        const s = str(r);
        const c = s === null ? null : chars(r);
        return s === null || c === null ? null : trimChars(s, new Set(c), start, end);
      },
    };
  };
}

function trimChars(s: string, set: Set<string>, start: boolean, end: boolean): string {
  const cs = Array.from(s);
  let i = 0;
  let j = cs.length;
  if (start) while (i < j && set.has(cs[i]!)) i++;
  if (end) while (j > i && set.has(cs[j - 1]!)) j--;
  return i === 0 && j === cs.length ? s : cs.slice(i, j).join('');
}

/** Spark's name of a two-argument trim: `TRIM(BOTH x FROM s)`, as its StringTrim prints itself. */
export function trimName(fn: string, args: string[]): string | undefined {
  const side = fn === 'trim' ? 'BOTH' : fn === 'ltrim' ? 'LEADING' : fn === 'rtrim' ? 'TRAILING' : undefined;
  return side === undefined || args.length !== 2 ? undefined : `TRIM(${side} ${args[0]} FROM ${args[1]})`;
}

export const TEXT_FUNCTIONS: Record<string, ScalarImpl> = {
  split: (args, _ctx, raw) => {
    arity('split', raw, 2, 3);
    const pattern = literalArg(raw[1], 'split', 'the pattern');
    const limit = raw[2] === undefined ? -1 : literalArg(raw[2], 'split', 'the limit');
    // A NULL pattern or limit: every row's split is NULL, as Spark's null-intolerant StringSplit gives.
    if (pattern === null || limit === null) return { type: new ArrayType(Types.STRING), eval: () => null };
    const f = splitter(String(pattern), Number(limit));
    const ae = args[0]!.eval;
    const from = args[0]!.type;
    return {
      type: new ArrayType(Types.STRING),
      eval: (r) => {
        const v = ae(r);
        // Not a string: its text as Spark casts it (a timestamp is 2017-11-04 10:00:00).
        return v === null || v === undefined ? null : f(typeof v === 'string' ? v : typedString(v, from));
      },
    };
  },
  trim: trimmer('trim', true, true),
  ltrim: trimmer('ltrim', true, false),
  rtrim: trimmer('rtrim', false, true),
  // substring(str, pos[, len]); substr is the same function.
  substring: (args, _ctx, raw) => {
    arity('substring', args, 2, 3);
    const s = textOf(args[0]!);
    const pos = intOf(args, raw, 1, 'substring');
    const len = args[2] === undefined ? () => INT_MAX : intOf(args, raw, 2, 'substring');
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
  regexp_replace: (args, _ctx, raw) => {
    arity('regexp_replace', args, 3, 4);
    const s = textOf(args[0]!);
    const pattern = textOf(args[1]!);
    const rep = textOf(args[2]!);
    const pos = args[3] === undefined ? () => 1 : intOf(args, raw, 3, 'regexp_replace');
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
  regexp_extract: (args, _ctx, raw) => {
    arity('regexp_extract', args, 2, 3);
    const s = textOf(args[0]!);
    const pattern = textOf(args[1]!);
    const idx = args[2] === undefined ? () => 1 : intOf(args, raw, 2, 'regexp_extract');
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

/**
 * Spark's split (UTF8String.split → Java's String.split with limit -1 for limit <= 0): limit > 0
 * gives at most `limit` pieces, the last holding the rest of the text verbatim; trailing empty
 * pieces are kept. An empty pattern splits into characters.
 */
function splitter(pattern: string, limit: number): (s: string) => string[] {
  if (pattern === '') return (s) => splitChars(s, limit);
  // A plain single character with no limit splits without a RegExp (JS and Java agree there).
  if (limit <= 0 && /^[^\\^$.|?*+()[\]{}]$/.test(pattern)) return (s) => s.split(pattern);
  const re = javaRegExp(pattern, 'g', 'split');
  return (s) => splitRegex(s, re, limit);
}

function splitRegex(s: string, re: RegExp, limit: number): string[] {
  const out: string[] = [];
  let index = 0;
  for (const m of s.matchAll(re)) {
    if (limit > 0 && out.length === limit - 1) break;
    const end = m.index + m[0].length;
    if (end === 0) continue; // Java: a zero-width match at the start gives no empty first piece
    out.push(s.slice(index, m.index));
    index = end;
  }
  out.push(s.slice(index));
  return out;
}

function splitChars(s: string, limit: number): string[] {
  const chars = Array.from(s);
  if (chars.length === 0) return [''];
  if (limit <= 0 || limit >= chars.length) return chars;
  return [...chars.slice(0, limit - 1), chars.slice(limit - 1).join('')];
}
