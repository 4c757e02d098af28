/**
 * The character-level tables of the Java pattern translation (javaRegexSyntax.ts): Java's
 * predefined, POSIX and property classes, its word boundary and line terminators, case variants
 * under `(?i)` (ASCII) and `(?iu)` (Unicode), and how a Java class (union, `&&`, `^`) is written as
 * JavaScript class contents or lookaheads.
 */
export interface Flags {
  i: boolean; // CASE_INSENSITIVE
  m: boolean; // MULTILINE
  s: boolean; // DOTALL
  d: boolean; // UNIX_LINES
  u: boolean; // UNICODE_CASE
}

/** Contents of a JavaScript class (a string), or a Java class of its own (nested, negated, intersected). */
export type Item = string | ClassNode;
/** A Java class: the intersection (`&&`) of unions of items, negated as a whole when `neg`. */
export interface ClassNode {
  neg: boolean;
  ands: Item[][];
}

export const ANY = '[\\s\\S]';
export const START = '(?<![\\s\\S])';
export const END = '(?![\\s\\S])';
const WORD_BEFORE = '[\\p{L}\\p{Nd}_]|[\\p{L}\\p{Nd}]\\p{Mn}+';
const WORD_AFTER = '[\\p{L}\\p{Nd}_]|(?<=[\\p{L}\\p{Nd}]\\p{Mn}*)\\p{Mn}';
export const BOUNDARY = `(?:(?<=${WORD_BEFORE})(?!${WORD_AFTER})|(?<!${WORD_BEFORE})(?=${WORD_AFTER}))`;
export const NOT_BOUNDARY = `(?:(?<=${WORD_BEFORE})(?=${WORD_AFTER})|(?<!${WORD_BEFORE})(?!${WORD_AFTER}))`;
export const LINEBREAK = '(?:\\r\\n|[\\n\\x0B\\f\\r\\u0085\\u2028\\u2029])';

/** Java's POSIX character classes (US-ASCII only, as Java's default), as class contents. */
export const POSIX: Record<string, string> = {
  Lower: 'a-z',
  Upper: 'A-Z',
  ASCII: '\\x00-\\x7F',
  Alpha: 'a-zA-Z',
  Digit: '0-9',
  Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~',
  Graph: '!-~',
  Print: ' -~',
  Blank: ' \\t',
  Cntrl: '\\x00-\\x1F\\x7F',
  XDigit: '0-9a-fA-F',
  Space: ' \\t\\n\\x0B\\f\\r',
};

/** Java's predefined classes as class contents (the negated ones are nested negated classes). */
export const SPACE = ' \\t\\n\\x0B\\f\\r';
export const HSPACE = ' \\t\\xA0\\u1680\\u180E\\u2000-\\u200A\\u202F\\u205F\\u3000';
export const VSPACE = '\\n\\x0B\\f\\r\\x85\\u2028\\u2029';

/** Java's binary properties and java.lang.Character classes JavaScript has under another name. */
export const PROPERTIES: Record<string, string> = {
  Alphabetic: '\\p{Alphabetic}',
  Ideographic: '\\p{Ideographic}',
  Letter: '\\p{L}',
  Lowercase: '\\p{Lowercase}',
  Uppercase: '\\p{Uppercase}',
  Titlecase: '\\p{Lt}',
  Punctuation: '\\p{P}',
  Control: '\\p{Cc}',
  White_Space: '\\p{White_Space}',
  WhiteSpace: '\\p{White_Space}',
  Digit: '\\p{Nd}',
  Join_Control: '\\p{Join_Control}',
  JoinControl: '\\p{Join_Control}',
  Assigned: '\\P{Cn}',
  javaLowerCase: '\\p{Lowercase}',
  javaUpperCase: '\\p{Uppercase}',
  javaTitleCase: '\\p{Lt}',
  javaDigit: '\\p{Nd}',
  javaLetter: '\\p{L}',
  javaLetterOrDigit: '\\p{L}\\p{Nd}',
  javaAlphabetic: '\\p{Alphabetic}',
  javaIdeographic: '\\p{Ideographic}',
  javaSpaceChar: '\\p{Z}',
  all: '\\s\\S',
};

function hex(cp: number): string {
  return `\\u{${cp.toString(16).toUpperCase()}}`;
}

/** A code point as class contents or as a literal outside a class (never special in either). */
export function cc(cp: number): string {
  return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) ? String.fromCodePoint(cp) : hex(cp);
}

export function ranges(cps: number[]): string {
  const sorted = [...new Set(cps)].sort((a, b) => a - b);
  let out = '';
  for (let k = 0; k < sorted.length; ) {
    let j = k;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out += j === k ? cc(sorted[k]!) : `${cc(sorted[k]!)}-${cc(sorted[j]!)}`;
    k = j + 1;
  }
  return out;
}

/* Java's Unicode case folding (UNICODE_CASE): Character.toUpperCase / toLowerCase, simple mappings. */
function simpleUpper(cp: number): number {
  const s = String.fromCodePoint(cp).toUpperCase();
  const c = s.codePointAt(0)!;
  return s.length === (c > 0xffff ? 2 : 1) ? c : cp;
}
function simpleLower(cp: number): number {
  if (cp === 0x130) return 0x69; // İ: Character.toLowerCase gives i (JavaScript's full mapping is i + U+0307)
  const s = String.fromCodePoint(cp).toLowerCase();
  const c = s.codePointAt(0)!;
  return s.length === (c > 0xffff ? 2 : 1) ? c : cp;
}
let folding: { cased: number[]; members: Map<number, number[]> } | undefined;
/** Cased code points, and the code points per folded form toLowerCase(toUpperCase(c)); built once, when first needed. */
function caseTable(): { cased: number[]; members: Map<number, number[]> } {
  if (folding) return folding;
  const cased: number[] = [];
  const members = new Map<number, number[]>();
  for (let cp = 0; cp < 0x20000; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const up = simpleUpper(cp);
    const key = simpleLower(up);
    if (up === cp && key === cp) continue;
    cased.push(cp);
    let m = members.get(key);
    if (!m) members.set(key, (m = [key]));
    m.push(cp);
  }
  folding = { cased, members };
  return folding;
}

function isAsciiLetter(cp: number): boolean {
  return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
}

/** The code points a pattern character matches under the flags (Java's Single, SingleI, SingleU). */
export function caseVariants(cp: number, f: Flags): number[] {
  if (!f.i) return [cp];
  if (!f.u) return isAsciiLetter(cp) ? [cp | 0x20, cp & ~0x20] : [cp];
  const key = simpleLower(simpleUpper(cp));
  return caseTable().members.get(key) ?? [cp];
}

/** A range as class contents under the flags (Java's Range, CIRange: ASCII only, CIRangeU). */
export function rangeItem(lo: number, hi: number, f: Flags): string {
  const base = lo === hi ? cc(lo) : `${cc(lo)}-${cc(hi)}`;
  if (!f.i) return base;
  const inRange = (c: number) => c >= lo && c <= hi;
  const extra: number[] = [];
  if (!f.u) {
    for (let c = 0x41; c <= 0x7a; c++) if (isAsciiLetter(c) && !inRange(c) && inRange(c ^ 0x20)) extra.push(c);
  } else {
    for (const c of caseTable().cased) {
      const up = simpleUpper(c);
      if (!inRange(c) && (inRange(up) || inRange(simpleLower(up)))) extra.push(c);
    }
  }
  return base + ranges(extra);
}

function emitUnion(items: Item[]): string {
  const text = items.filter((x): x is string => typeof x === 'string').join('');
  const nodes = items.filter((x): x is ClassNode => typeof x !== 'string').map(emitClass);
  if (nodes.length === 0) return `[${text}]`;
  const alts = text ? [`[${text}]`, ...nodes] : nodes;
  return alts.length === 1 ? alts[0]! : `(?:${alts.join('|')})`;
}

/** A Java class as JavaScript: one class when it can be, else lookaheads for `&&` and a negated lookahead for `^`. */
export function emitClass(node: ClassNode): string {
  const ands = node.ands.filter((a) => a.length > 0);
  if (ands.length === 1 && ands[0]!.every((x) => typeof x === 'string')) return `[${node.neg ? '^' : ''}${ands[0]!.join('')}]`;
  const body = ands.length === 1 ? emitUnion(ands[0]!) : `(?:${ands.slice(0, -1).map((a) => `(?=${emitUnion(a)})`).join('')}${emitUnion(ands[ands.length - 1]!)})`;
  return node.neg ? `(?:(?!${body})${ANY})` : body;
}
