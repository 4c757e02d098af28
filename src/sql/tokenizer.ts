/**
 * The SQL tokenizer the expression parser reads: names, `quoted` names, numbers (10L, 1.5D,
 * 1e3), 'strings' and "strings" (backslash escapes, doubled quotes), operators; `--` and
 * bracketed comments are skipped. An unclosed string or comment and an unknown character fail
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
          const n = text[i + 1] ?? '';
          s += n === 'n' ? '\n' : n === 't' ? '\t' : n;
          i += 2;
          continue;
        }
        if (d === c) {
          if (text[i + 1] === c) {
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
