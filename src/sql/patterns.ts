/**
 * String pattern predicates: `s LIKE 'a%'` (ESCAPE, default `\`), `s ILIKE 'A%'` and
 * `s RLIKE '^a'` / `REGEXP` — Spark's Like, ILike and RLike, named as Spark names them
 * (`s LIKE a%`, `ilike(s, A%)`, `RLIKE(s, ^a)`). A non-string side is read as its text, NULL
 * gives NULL; LIKE matches the whole string, RLIKE a part of it (Java's `find`).
 */
import { AnalysisException } from './errors.js';
import { javaRegExp } from './javaRegex.js';
import { Expr, type BindContext, type Bound } from './expressions.js';
import { Types } from './types.js';
import { typedString, type Row } from './values.js';

export type PatternKind = 'like' | 'ilike' | 'rlike';

export class PatternMatch extends Expr {
  constructor(
    readonly kind: PatternKind,
    readonly left: Expr,
    readonly right: Expr,
    readonly escape = '\\',
  ) {
    super();
  }
  get name(): string {
    if (this.kind === 'like') return `${this.left.sql} LIKE ${this.right.sql}`;
    if (this.kind === 'ilike') return `ilike(${this.left.sql}, ${this.right.sql})`;
    return `RLIKE(${this.left.sql}, ${this.right.sql})`;
  }
  bind(ctx: BindContext): Bound {
    const l = text(this.left.bind(ctx));
    const r = text(this.right.bind(ctx));
    const compile = (p: string): RegExp =>
      this.kind === 'rlike' ? rlikeRegex(p) : new RegExp(likeToRegex(this.kind === 'ilike' ? p.toLowerCase() : p, this.escape), 'su');
    const lower = this.kind === 'ilike';
    let lastPattern: string | undefined;
    let lastRegex: RegExp | undefined;
    return {
      type: Types.BOOLEAN,
      eval: (row) => {
        const s = l(row);
        if (s === null) return null;
        const p = r(row);
        if (p === null) return null;
        if (p !== lastPattern) {
          lastRegex = compile(p);
          lastPattern = p;
        }
        return lastRegex!.test(lower ? s.toLowerCase() : s);
      },
    };
  }
  override children(): Expr[] {
    return [this.left, this.right];
  }
  override withChildren(c: Expr[]): Expr {
    return new PatternMatch(this.kind, c[0]!, c[1]!, this.escape);
  }
}

function text(b: Bound): (row: Row) => string | null {
  const e = b.eval;
  const t = b.type;
  return (row) => {
    const v = e(row);
    if (v === null || v === undefined) return null;
    return typeof v === 'string' ? v : typedString(v, t);
  };
}

/** Spark's StringUtils.escapeLikeRegex: `_` one character, `%` any run, the escape character quotes `_`, `%` or itself. */
export function likeToRegex(pattern: string, escape: string): string {
  let out = '^';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === escape) {
      const n = chars[i + 1];
      if (n === undefined) throw new AnalysisException(`[INVALID_FORMAT.ESC_AT_THE_END] The format is invalid: '${pattern}'. The escape character is not allowed to end with.`);
      if (n !== '_' && n !== '%' && n !== escape) {
        throw new AnalysisException(`[INVALID_FORMAT.ESC_IN_THE_MIDDLE] The format is invalid: '${pattern}'. The escape character is not allowed to precede '${n}'.`);
      }
      out += quote(n);
      i++;
    } else if (c === '_') out += '.';
    else if (c === '%') out += '.*';
    else out += quote(c);
  }
  return out + '$';
}

function quote(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function rlikeRegex(p: string): RegExp {
  try {
    return javaRegExp(p, '', 'rlike');
  } catch (e) {
    throw new AnalysisException(`[INVALID_PARAMETER_VALUE.PATTERN] The value of parameter(s) \`regexp\` in \`rlike\` is invalid: '${p}' (${(e as Error).message})`);
  }
}
