/**
 * The SQL tokenizer the expression parser reads: names, `quoted` names, numbers (10L, 1.5D,
 * 1e3), 'strings' and "strings" (Spark's backslash escapes), r'raw strings', operators; `--` and
 * bracketed comments are skipped. A doubled quote ends a string: Spark's lexer has no `''` escape,
 * `'it''s'` is two adjacent literals, which the parser joins ('its'). A doubled backquote inside
 * a `quoted name` does stand for one backquote. An unclosed string or comment and an unknown character fail
 * as ParseException naming the position.
 */
import { ParseException } from './errors.js';

export type TokenKind = 'ident' | 'qident' | 'number' | 'string' | 'op' | 'eof';
export interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

const OPS = ['<=>', '==', '!=', '<>', '<=', '>=', '||', '&&', '+', '-', '*', '/', '%', '=', '<', '>', '(', ')', ',', '.', '[', ']', ';'];

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    // Comments: `-- to the end of the line` and `/* bracketed */` (nested, as Spark's).
    if (text.startsWith('--', i)) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (text.startsWith('/*', i)) {
      i = skipBracketedComment(text, i);
      continue;
    }
    const start = i;
    // Spark's raw literals, r'…' and R"…": no escapes at all (a regex's backslashes as typed).
    if ((c === 'r' || c === 'R') && (text[i + 1] === "'" || text[i + 1] === '"')) {
      const end = text.indexOf(text[i + 1]!, i + 2);
      if (end < 0) throw new ParseException(`Syntax error at or near ${c} (position ${start}): unclosed string in "${text}"`, start, text);
      out.push({ kind: 'string', text: text.slice(i + 2, end), pos: start });
      i = end + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
      out.push({ kind: 'ident', text: text.slice(start, i), pos: start });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      while (i < text.length && /[0-9.]/.test(text[i]!)) i++;
      if (/[eE]/.test(text[i] ?? '') && /[-+0-9]/.test(text[i + 1] ?? '')) {
        i += 2;
        while (i < text.length && /[0-9]/.test(text[i]!)) i++;
      }
      // Spark's suffixes: 10L, 1.5D
      if (/[LlDd]/.test(text[i] ?? '') && !/[A-Za-z0-9_]/.test(text[i + 1] ?? '')) i++;
      out.push({ kind: 'number', text: text.slice(start, i), pos: start });
    } else if (c === "'" || c === '"' || c === '`') {
      i++;
      let s = '';
      for (;;) {
        if (i >= text.length) throw new ParseException(`Syntax error at or near ${c} (position ${start}): unclosed ${c === '`' ? 'backquote' : 'string'} in "${text}"`, start, text);
        const d = text[i]!;
        if (d === '\\' && c !== '`') {
          const [unescaped, length] = unescapeAt(text, i);
          s += unescaped;
          i += length;
          continue;
        }
        if (d === c) {
          if (c === '`' && text[i + 1] === c) {
            s += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += d;
        i++;
      }
      out.push({ kind: c === '`' ? 'qident' : 'string', text: s, pos: start });
    } else {
      const op = OPS.find((o) => text.startsWith(o, i));
      if (op === undefined) throw new ParseException(`Syntax error at or near '${c}' (position ${i}): unexpected character in "${text}"`, i, text);
      i += op.length;
      out.push({ kind: 'op', text: op, pos: start });
    }
  }
  out.push({ kind: 'eof', text: '', pos: text.length });
  return out;
}

/** Single-character escapes, as Spark's unescapeSQLString reads them; any other character stands for itself. */
const ESCAPES: Record<string, string> = { '0': '\u0000', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\u001A', '%': '\\%', _: '\\_' };

/**
 * The backslash escape at `text[i]`: what it stands for and how many characters it takes, as
 * Spark's unescapeSQLString: \uXXXX, \UXXXXXXXX (as UTF-16), three octal digits [01][0-7][0-7],
 * then one character. `\%` and `\_` keep their backslash, so that LIKE reads them as literal
 * characters (MySQL's rule, which Spark follows).
 */
function unescapeAt(text: string, i: number): [string, number] {
  const n = text[i + 1] ?? '';
  if (n === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) return [String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16)), 6];
  if (n === 'U' && /^[0-9A-Fa-f]{8}$/.test(text.slice(i + 2, i + 10))) {
    const cp = parseInt(text.slice(i + 2, i + 10), 16);
    // Spark's arithmetic, surrogates cut to 16 bits as Java's char does (even past U+10FFFF).
    if (cp < 0x10000) return [String.fromCharCode(cp), 10];
    return [String.fromCharCode((Math.floor((cp - 0x10000) / 0x400) + 0xd800) & 0xffff, (((cp - 0x10000) % 0x400) + 0xdc00) & 0xffff), 10];
  }
  if (/^[01][0-7]{2}$/.test(text.slice(i + 1, i + 4))) return [String.fromCharCode(parseInt(text.slice(i + 1, i + 4), 8)), 4];
  return [ESCAPES[n] ?? n, 2];
}

function skipBracketedComment(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    if (text.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (text.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  throw new ParseException(`Syntax error at or near '/*' (position ${start}): unclosed comment in "${text}"`, start, text);
}
