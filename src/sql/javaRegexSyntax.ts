/**
 * Java's pattern syntax (java.util.regex, Java 17 — Spark 3.5's) read and written as a JavaScript
 * RegExp source for the `u` flag. Everything whose meaning differs is written out explicitly rather
 * than left to JavaScript's reading of the same text:
 * - `.`, `^`, `$`, `\Z` follow Java's line terminators (\n, \r\n, \r, \u0085, \u2028, \u2029; only \n
 *   under UNIX_LINES `(?d)`); without MULTILINE `$` also matches before a final line terminator;
 * - `\b`/`\B` use Java 17's word characters (Character.isLetterOrDigit, `_`, and non-spacing marks
 *   following one), `\s` is ASCII, `\h` `\H` `\v` `\V` `\R` are Java's;
 * - `\x{h…h}`, octal `\0nn`, `\a`, `\e`, `\cX`, `\Q…\E`, POSIX and Java property classes;
 * - classes with union `[a[b]]`, intersection `&&` and negation of the whole class;
 * - inline flags `(?imsdu-imsdu)` and `(?flags:…)` anywhere, scoped as in Java; `(?i)` is ASCII-only
 *   unless `(?u)` (UNICODE_CASE) is on too, written out per character (no JavaScript `i` flag);
 * - back references read digits as Java does, one to a group the pattern lacks never matches.
 * What JavaScript cannot do is refused by name: possessive quantifiers, atomic groups, `\G`, `\X`,
 * `\b{g}`, `\N{…}`, Unicode blocks, the flags `x` and `U`, back references under `(?i)`.
 */
import { AnalysisException } from './errors.js';
import {
  ANY,
  BOUNDARY,
  caseVariants,
  cc,
  emitClass,
  END,
  HSPACE,
  LINEBREAK,
  NOT_BOUNDARY,
  POSIX,
  PROPERTIES,
  rangeItem,
  ranges,
  SPACE,
  START,
  VSPACE,
  type ClassNode,
  type Flags,
  type Item,
} from './javaRegexClasses.js';

/** Java pattern text as a JavaScript source for the `u` flag (see the file's comment). */
export function translateJavaRegex(pattern: string, fn: string): { source: string; flags: string } {
  return { source: new Translator(pattern, fn).run(), flags: '' };
}

class Translator {
  private i = 0;
  private groups = 0;

  constructor(private readonly p: string, private readonly fn: string) {}

  private fail(what: string): never {
    throw new AnalysisException(`${this.fn}: ${what}: '${this.p}'`);
  }

  private unsupported(what: string): never {
    this.fail(`${what} (of Java's regular expressions) not supported, JavaScript's have no equivalent`);
  }

  run(): string {
    const { p } = this;
    const parts: (string | number)[] = [];
    let f: Flags = { i: false, m: false, s: false, d: false, u: false };
    const stack: Flags[] = [];
    while (this.i < p.length) {
      const c = p[this.i]!;
      if (c === '\\') {
        parts.push(this.escape(f));
      } else if (c === '[') {
        this.i++;
        parts.push(emitClass(this.klass(f)));
      } else if (c === '(') {
        if (p[this.i + 1] !== '?') {
          this.groups++;
          stack.push(f);
          parts.push('(');
          this.i++;
          continue;
        }
        const rest = p.slice(this.i + 2);
        const kind = /^(?::|=|!|<=|<!)/.exec(rest) ?? /^<[a-zA-Z][a-zA-Z0-9]*>/.exec(rest);
        if (kind) {
          if (kind[0].length > 2) this.groups++;
          stack.push(f);
          parts.push(`(?${kind[0]}`);
          this.i += 2 + kind[0].length;
          continue;
        }
        if (rest.startsWith('>')) this.unsupported('atomic groups (?>…)');
        const m = /^([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(rest);
        if (!m) this.fail(`unknown group type at index ${this.i}`);
        const g = { ...f };
        for (const [letters, on] of [[m[1]!, true], [m[2] ?? '', false]] as const) {
          for (const l of letters) {
            if (l === 'i' || l === 'm' || l === 's' || l === 'd' || l === 'u') g[l] = on;
            else if (l === 'x' || l === 'U') this.unsupported(`the inline flag (?${l})`);
            else this.fail(`unknown inline modifier (?${l})`);
          }
        }
        this.i += 2 + m[0].length;
        if (m[3] === ')') f = g;
        else {
          stack.push(f);
          f = g;
          parts.push('(?:');
        }
        continue;
      } else if (c === ')') {
        if (stack.length === 0) this.fail(`unmatched closing ')' at index ${this.i}`);
        f = stack.pop()!;
        parts.push(')');
        this.i++;
      } else if (c === '|') {
        parts.push('|');
        this.i++;
      } else if (c === '.') {
        parts.push(f.s ? ANY : f.d ? '[^\\n]' : '[^\\n\\r\\u0085\\u2028\\u2029]');
        this.i++;
      } else if (c === '^') {
        parts.push(!f.m ? START : f.d ? '(?<![^\\n])(?=[\\s\\S])' : '(?<![^\\n\\r\\u0085\\u2028\\u2029])(?!(?<=\\r)\\n)(?=[\\s\\S])');
        this.i++;
      } else if (c === '$') {
        parts.push(f.m ? (f.d ? `(?=\\n|${END})` : `(?=(?<!\\r)\\n|[\\r\\u0085\\u2028\\u2029]|${END})`) : this.dollar(f));
        this.i++;
      } else if (c === '*' || c === '+' || c === '?' || c === '{') {
        let q = c;
        if (c === '{') {
          const m = /^\{\d+(?:,\d*)?\}/.exec(p.slice(this.i));
          if (!m) this.fail(`illegal repetition at index ${this.i}`);
          q = m[0];
        }
        this.i += q.length;
        if (p[this.i] === '?') {
          q += '?';
          this.i++;
        } else if (p[this.i] === '+') this.unsupported('possessive quantifiers (*+, ++, ?+, {n}+)');
        // Java quantifies anchors too; JavaScript (with `u`) only a group holding one.
        const last = parts[parts.length - 1];
        if (typeof last === 'string' && last.length > 4 && /^\(\?<?[=!]/.test(last)) parts[parts.length - 1] = `(?:${last})`;
        parts.push(q);
      } else {
        const cp = p.codePointAt(this.i)!;
        this.i += cp > 0xffff ? 2 : 1;
        parts.push(this.literal(cp, f));
      }
    }
    if (stack.length > 0) this.fail('unclosed group');
    return parts.map((x) => (typeof x === 'string' ? x : x > this.groups ? '(?!)' : `(?:\\${x})`)).join('');
  }

  /** `$` without MULTILINE (and `\Z`): the end, or before a line terminator that ends the input. */
  private dollar(f: Flags): string {
    return f.d ? `(?=\\n?${END})` : `(?=(?:\\r\\n|(?<!\\r)\\n|[\\r\\u0085\\u2028\\u2029])?${END})`;
  }

  private literal(cp: number, f: Flags): string {
    const v = caseVariants(cp, f);
    return v.length === 1 ? cc(cp) : `[${ranges(v)}]`;
  }

  /** An escape outside a class: text, or the number of a back reference (checked once all groups are known). */
  private escape(f: Flags): string | number {
    const { p } = this;
    const n = p[this.i + 1];
    if (n === undefined) this.fail('the pattern ends with a lone backslash');
    if (n === 'Q') return this.quoted().map((cp) => this.literal(cp, f)).join('');
    if (n >= '1' && n <= '9') {
      if (f.i) this.unsupported('back references under (?i)');
      let ref = Number(n);
      this.i += 2;
      while (/[0-9]/.test(p[this.i] ?? '') && ref * 10 + Number(p[this.i]) <= this.groups) ref = ref * 10 + Number(p[this.i++]);
      return ref;
    }
    const simple: Record<string, string> = {
      A: START,
      z: END,
      Z: this.dollar(f),
      B: NOT_BOUNDARY,
      R: LINEBREAK,
    };
    if (n === 'b') {
      if (p[this.i + 2] === '{') this.unsupported('grapheme cluster boundaries \\b{g}');
      this.i += 2;
      return BOUNDARY;
    }
    if (simple[n] !== undefined) {
      this.i += 2;
      return simple[n];
    }
    if (n === 'k') {
      const m = /^\\k<([a-zA-Z][a-zA-Z0-9]*)>/.exec(p.slice(this.i));
      if (!m) this.fail(`\\k is not followed by <name> at index ${this.i}`);
      if (f.i) this.unsupported('back references under (?i)');
      this.i += m[0].length;
      return `\\k<${m[1]}>`;
    }
    if (n === 'G') this.unsupported('the end of the previous match \\G');
    if (n === 'X') this.unsupported('grapheme clusters \\X');
    if (n === 'N') this.unsupported('named characters \\N{…}');
    const item = this.predicate(f);
    if (item !== undefined) return typeof item === 'string' ? `[${item}]` : emitClass(item);
    return this.literal(this.charEscape(), f);
  }

  /** The code points of `\Q…\E` (up to the end when there is no `\E`); `i` is moved past it. */
  private quoted(): number[] {
    const end = this.p.indexOf('\\E', this.i + 2);
    const text = end < 0 ? this.p.slice(this.i + 2) : this.p.slice(this.i + 2, end);
    this.i = end < 0 ? this.p.length : end + 2;
    return Array.from(text, (ch) => ch.codePointAt(0)!);
  }

  /** `\d \D \w \W \s \S \h \H \v \V \p \P` at `i` as a class item (moving past it), else undefined. */
  private predicate(f: Flags): Item | undefined {
    const n = this.p[this.i + 1]!;
    const negated = (text: string): ClassNode => ({ neg: true, ands: [[text]] });
    const fixed: Record<string, Item> = {
      d: '0-9',
      D: negated('0-9'),
      w: 'a-zA-Z_0-9',
      W: negated('a-zA-Z_0-9'),
      s: SPACE,
      S: negated(SPACE),
      h: HSPACE,
      H: negated(HSPACE),
      v: VSPACE,
      V: negated(VSPACE),
    };
    if (fixed[n] !== undefined) {
      this.i += 2;
      return fixed[n];
    }
    if (n !== 'p' && n !== 'P') return undefined;
    const m = /^\{([^}]*)\}/.exec(this.p.slice(this.i + 2)) ?? /^[A-Za-z]/.exec(this.p.slice(this.i + 2));
    if (!m) this.fail(`\\${n} is not followed by a property name at index ${this.i}`);
    this.i += 2 + m[0].length;
    const text = this.property(m[1] ?? m[0], f);
    return n === 'P' ? negated(text) : text;
  }

  /** A `\p{name}` as class contents, with Java's meaning of the name (and its case-insensitive variants). */
  private property(name: string, f: Flags): string {
    const bad = (): never => this.fail(`unknown or unsupported character property \\p{${name}}`);
    const eq = /^(\w+)=(\w+)$/.exec(name);
    if (eq) {
      const key = eq[1]!.toLowerCase();
      if (key === 'gc' || key === 'general_category') return this.jsProperty(eq[2]!, f) ?? bad();
      if (key === 'sc' || key === 'script') return jsValid(`\\p{sc=${eq[2]}}`) ?? bad();
      if (key === 'blk' || key === 'block') this.unsupported(`Unicode blocks \\p{${name}}`);
      return bad();
    }
    if (name.startsWith('In')) this.unsupported(`Unicode blocks \\p{${name}}`);
    const base = name.startsWith('Is') ? name.slice(2) : name;
    if (POSIX[base] !== undefined) return f.i && (base === 'Lower' || base === 'Upper') ? POSIX.Alpha! : POSIX[base]!;
    if (f.i && (base === 'javaLowerCase' || base === 'javaUpperCase' || base === 'javaTitleCase')) return '\\p{Lowercase}\\p{Uppercase}\\p{Lt}';
    if (PROPERTIES[base] !== undefined && (name.startsWith('Is') || base.startsWith('java') || base === 'all')) return PROPERTIES[base]!;
    const category = this.jsProperty(base, f);
    if (category !== undefined) return category;
    if (name.startsWith('Is')) return jsValid(`\\p{sc=${base}}`) ?? bad();
    return bad();
  }

  /** A general category (`L`, `Lu`, …) as JavaScript's; Lu, Ll and Lt stand for all three under (?i). */
  private jsProperty(name: string, f: Flags): string | undefined {
    if (!/^[A-Z][a-z&]?$/.test(name)) return undefined;
    if (name === 'LC' || name === 'L&') return '\\p{LC}';
    if (f.i && (name === 'Lu' || name === 'Ll' || name === 'Lt')) return '\\p{Lu}\\p{Ll}\\p{Lt}';
    return jsValid(`\\p{${name}}`);
  }

  /** A character escape at `i` (`\t`, `\x41`, `\x{1F600}`, `\u0041`, `\0101`, `\cA`, `\.`): its code point; `i` moved past it. */
  private charEscape(): number {
    const { p } = this;
    const n = p[this.i + 1]!;
    const at = this.i;
    this.i += 2;
    const controls: Record<string, number> = { t: 9, n: 10, r: 13, f: 12, a: 7, e: 27 };
    if (controls[n] !== undefined) return controls[n];
    if (n === 'c') {
      if (this.i >= p.length) this.fail(`illegal control escape sequence at index ${at}`);
      return p.charCodeAt(this.i++) ^ 64;
    }
    if (n === 'x') {
      const m = /^\{([0-9a-fA-F]+)\}/.exec(p.slice(this.i)) ?? /^[0-9a-fA-F]{2}/.exec(p.slice(this.i));
      if (!m) this.fail(`illegal hexadecimal escape sequence at index ${at}`);
      const cp = parseInt(m[1] ?? m[0], 16);
      if (!(cp <= 0x10ffff)) this.fail(`hexadecimal code point is too big at index ${at}`);
      this.i += m[0].length;
      return cp;
    }
    if (n === 'u') {
      const m = /^[0-9a-fA-F]{4}/.exec(p.slice(this.i));
      if (!m) this.fail(`illegal Unicode escape sequence at index ${at}`);
      this.i += 4;
      const hi = parseInt(m[0], 16);
      const lo = /^\\u([dD][c-fC-F][0-9a-fA-F]{2})/.exec(p.slice(this.i));
      if (hi >= 0xd800 && hi <= 0xdbff && lo) {
        this.i += 6;
        return 0x10000 + ((hi - 0xd800) << 10) + (parseInt(lo[1]!, 16) - 0xdc00);
      }
      return hi;
    }
    if (n === '0') {
      const m = /^([0-3][0-7]{2}|[0-7]{1,2})/.exec(p.slice(this.i));
      if (!m) this.fail(`illegal octal escape sequence at index ${at}`);
      this.i += m[0].length;
      return parseInt(m[0], 8);
    }
    if (/[a-zA-Z0-9]/.test(n)) this.fail(`illegal/unsupported escape sequence \\${n} at index ${at}`);
    const cp = p.codePointAt(at + 1)!;
    this.i = at + 1 + (cp > 0xffff ? 2 : 1);
    return cp;
  }

  /** A class, `i` just past its `[`: Java's clazz() — union binds tighter than `&&`, `^` negates it all. */
  private klass(f: Flags): ClassNode {
    const { p } = this;
    let neg = false;
    if (p[this.i] === '^') {
      neg = true;
      this.i++;
    }
    const ands: Item[][] = [];
    let cur: Item[] = [];
    let any = false;
    for (;;) {
      if (this.i >= p.length) this.fail('unclosed character class');
      const c = p[this.i]!;
      if (c === ']' && any) {
        this.i++;
        ands.push(cur);
        if (ands.every((a) => a.length === 0)) this.fail('bad class syntax');
        return { neg, ands };
      }
      any = true;
      if (c === '[') {
        this.i++;
        const inner = this.klass(f);
        if (!inner.neg && inner.ands.filter((a) => a.length > 0).length === 1) cur.push(...inner.ands.find((a) => a.length > 0)!);
        else cur.push(inner);
        continue;
      }
      if (p.startsWith('&&', this.i)) {
        this.i += 2;
        ands.push(cur);
        cur = [];
        continue;
      }
      let start: number;
      if (c === '\\') {
        const n = p[this.i + 1];
        if (n === undefined) this.fail('the pattern ends with a lone backslash');
        if (n === 'Q') {
          for (const cp of this.quoted()) cur.push(ranges(caseVariants(cp, f)));
          continue;
        }
        const item = this.predicate(f);
        if (item !== undefined) {
          cur.push(item);
          continue;
        }
        if ('bBAzZGRXNk123456789'.includes(n)) this.fail(`illegal/unsupported escape sequence \\${n} inside a character class at index ${this.i}`);
        start = this.charEscape();
      } else {
        start = p.codePointAt(this.i)!;
        this.i += start > 0xffff ? 2 : 1;
      }
      const after = p[this.i + 1];
      if (p[this.i] === '-' && after !== undefined && after !== ']' && after !== '[') {
        this.i++;
        let end: number;
        if (p[this.i] === '\\') {
          if (this.p[this.i + 1] === 'Q' || /[dDwWsShHvVpP]/.test(this.p[this.i + 1] ?? '')) this.fail(`illegal character range at index ${this.i}`);
          end = this.charEscape();
        } else {
          end = p.codePointAt(this.i)!;
          this.i += end > 0xffff ? 2 : 1;
        }
        if (end < start) this.fail(`illegal character range at index ${this.i}`);
        cur.push(rangeItem(start, end, f));
      } else cur.push(ranges(caseVariants(start, f)));
    }
  }
}

const valid = new Map<string, string | undefined>();
/** `text` when JavaScript knows the property, else undefined. */
function jsValid(text: string): string | undefined {
  if (!valid.has(text)) {
    try {
      new RegExp(`[${text}]`, 'u');
      valid.set(text, text);
    } catch {
      valid.set(text, undefined);
    }
  }
  return valid.get(text);
}
