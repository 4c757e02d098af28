/**
 * Spark SQL expressions as selectExpr/expr/where take them: CAST(x AS type), aliases (`x AS y`,
 * `x y`), arithmetic, comparisons, AND/OR/NOT, IS [NOT] NULL, IN, CASE WHEN, function calls,
 * `a.b` struct fields, `a[i]` elements, `*`. A precedence-climbing parser over a small tokenizer;
 * every error names the token it stopped at and its position.
 *
 * Precedence, loosest first (Spark's): OR, AND, NOT, comparison/IS/IN, + - ||, * / %, unary -,
 * postfix `.field` and `[i]`.
 */
import { resolveFunction } from './builtins.js';
import { ParseException } from './errors.js';
import { Alias, Cast, ColumnRef, Expr, Literal, Star } from './expressions.js';
import { BinaryOp, CaseWhen, GetField, GetItem, InList, UnaryOp } from './operators.js';
import { parseDataType, Types, type DataType } from './types.js';

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

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'AS', 'IS', 'NULL', 'IN', 'FROM', 'WHERE', 'GROUP', 'BY', 'ORDER', 'LIMIT', 'HAVING', 'ASC', 'DESC', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'DISTINCT', 'LIKE', 'BETWEEN']);

export class ExprParser {
  private i = 0;
  readonly tokens: Token[];
  constructor(readonly text: string) {
    this.tokens = tokenize(text);
  }

  peek(k = 0): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)]!;
  }
  next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  isKeyword(word: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'ident' && t.text.toUpperCase() === word;
  }
  isOp(op: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === op;
  }
  acceptKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.i++;
    return true;
  }
  acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.i++;
    return true;
  }
  fail(expected: string, t: Token = this.peek()): never {
    const near = t.kind === 'eof' ? 'end of input' : `'${t.text}'`;
    throw new ParseException(`Syntax error at or near ${near} (position ${t.pos}) in "${this.text}": expected ${expected}`, t.pos, this.text);
  }
  expectOp(op: string): void {
    if (!this.acceptOp(op)) this.fail(`'${op}'`);
  }
  expectKeyword(word: string): void {
    if (!this.acceptKeyword(word)) this.fail(word);
  }
  atEnd(): boolean {
    return this.peek().kind === 'eof';
  }
  expectEnd(): void {
    if (!this.atEnd()) this.fail('end of expression');
  }

  /** An expression with an optional alias (`x AS y`, `x y`): a selectExpr item. */
  namedExpression(): Expr {
    const e = this.expression();
    if (this.acceptKeyword('AS')) return new Alias(e, this.identifier());
    const t = this.peek();
    if ((t.kind === 'ident' && !KEYWORDS.has(t.text.toUpperCase())) || t.kind === 'qident') return new Alias(e, this.identifier());
    return e;
  }

  identifier(): string {
    const t = this.peek();
    if (t.kind === 'ident' || t.kind === 'qident') {
      this.i++;
      return t.text;
    }
    return this.fail('a name');
  }

  expression(): Expr {
    return this.or();
  }
  private or(): Expr {
    let e = this.and();
    while (this.acceptKeyword('OR')) e = new BinaryOp('OR', e, this.and());
    return e;
  }
  private and(): Expr {
    let e = this.not();
    while (this.acceptKeyword('AND') || this.acceptOp('&&')) e = new BinaryOp('AND', e, this.not());
    return e;
  }
  private not(): Expr {
    if (this.acceptKeyword('NOT')) return new UnaryOp('NOT', this.not());
    return this.comparison();
  }
  private comparison(): Expr {
    let e = this.additive();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && ['=', '==', '!=', '<>', '<', '<=', '>', '>=', '<=>'].includes(t.text)) {
        this.i++;
        const op = t.text === '==' ? '=' : t.text === '<>' ? '!=' : t.text;
        e = new BinaryOp(op, e, this.additive());
      } else if (this.isKeyword('IS')) {
        this.i++;
        const negated = this.acceptKeyword('NOT');
        this.expectKeyword('NULL');
        e = new UnaryOp(negated ? 'IS NOT NULL' : 'IS NULL', e);
      } else if (this.isKeyword('IN') || (this.isKeyword('NOT') && this.isKeyword('IN', 1))) {
        const negated = this.acceptKeyword('NOT');
        this.next();
        this.expectOp('(');
        const list = [this.expression()];
        while (this.acceptOp(',')) list.push(this.expression());
        this.expectOp(')');
        e = new InList(e, list);
        if (negated) e = new UnaryOp('NOT', e);
      } else if (this.isKeyword('BETWEEN')) {
        this.i++;
        const lo = this.additive();
        this.expectKeyword('AND');
        const hi = this.additive();
        e = new BinaryOp('AND', new BinaryOp('>=', e, lo), new BinaryOp('<=', e, hi));
      } else return e;
    }
  }
  private additive(): Expr {
    let e = this.multiplicative();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.text === '+' || t.text === '-' || t.text === '||')) {
        this.i++;
        e = new BinaryOp(t.text, e, this.multiplicative());
      } else return e;
    }
  }
  private multiplicative(): Expr {
    let e = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.text === '*' || t.text === '/' || t.text === '%')) {
        this.i++;
        e = new BinaryOp(t.text, e, this.unary());
      } else return e;
    }
  }
  private unary(): Expr {
    if (this.acceptOp('-')) {
      const e = this.unary();
      if (e instanceof Literal && typeof e.value === 'number') return new Literal(-e.value, e.type);
      return new UnaryOp('-', e);
    }
    if (this.acceptOp('+')) return this.unary();
    return this.postfix();
  }
  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.i++;
        if (this.acceptOp('*')) {
          if (!(e instanceof ColumnRef)) this.fail('a column before .*');
          e = new Star(e.parts);
          continue;
        }
        const name = this.identifier();
        e = e instanceof ColumnRef ? new ColumnRef([...e.parts, name]) : new GetField(e, name);
      } else if (this.acceptOp('[')) {
        const idx = this.expression();
        this.expectOp(']');
        e = new GetItem(e, idx);
      } else return e;
    }
  }
  private primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'number': {
        this.i++;
        const raw = t.text.replace(/[LlDd]$/, '');
        const n = Number(raw);
        if (!Number.isFinite(n)) this.fail('a number', t);
        // 5.0, 1e1 and 5D are fractional literals (Spark: decimal, double): a string compared with one is cast to double, not int.
        return /[.eEdD]/.test(t.text) ? new Literal(n, Types.DOUBLE) : new Literal(n);
      }
      case 'string':
        this.i++;
        return new Literal(t.text);
      case 'qident':
        this.i++;
        return new ColumnRef([t.text]);
      case 'op':
        if (t.text === '(') {
          this.i++;
          const e = this.expression();
          this.expectOp(')');
          return e;
        }
        if (t.text === '*') {
          this.i++;
          return new Star();
        }
        return this.fail('an expression');
      case 'eof':
        return this.fail('an expression');
    }
    const word = t.text.toUpperCase();
    if (word === 'NULL') {
      this.i++;
      return new Literal(null);
    }
    if (word === 'TRUE' || word === 'FALSE') {
      this.i++;
      return new Literal(word === 'TRUE');
    }
    if (word === 'CAST' && this.peek(1).text === '(') {
      this.i += 2;
      const e = this.expression();
      this.expectKeyword('AS');
      const type = this.typeName();
      this.expectOp(')');
      return new Cast(e, type);
    }
    if (word === 'CASE') return this.caseWhen();
    if (KEYWORDS.has(word) && word !== 'IN') this.fail('an expression');
    this.i++;
    if (this.isOp('(')) return this.call(t);
    return new ColumnRef([t.text]);
  }
  private call(name: Token): Expr {
    this.expectOp('(');
    const distinct = this.acceptKeyword('DISTINCT');
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      do args.push(this.expression());
      while (this.acceptOp(','));
    }
    this.expectOp(')');
    try {
      return resolveFunction(name.text, args, distinct);
    } catch (e) {
      if (e instanceof Error && /Undefined function/.test(e.message)) {
        throw new ParseException(`${e.message} (position ${name.pos}) in "${this.text}"`, name.pos, this.text);
      }
      throw e;
    }
  }
  private caseWhen(): Expr {
    this.i++;
    const subject = this.isKeyword('WHEN') ? undefined : this.expression();
    const branches: [Expr, Expr][] = [];
    while (this.acceptKeyword('WHEN')) {
      const c = this.expression();
      this.expectKeyword('THEN');
      branches.push([subject ? new BinaryOp('=', subject, c) : c, this.expression()]);
    }
    if (branches.length === 0) this.fail('WHEN');
    const otherwise = this.acceptKeyword('ELSE') ? this.expression() : undefined;
    this.expectKeyword('END');
    return new CaseWhen(branches, otherwise);
  }
  /** A type after AS: `STRING`, `INT`, `DECIMAL(10,2)`, `ARRAY<STRING>`, `STRUCT<a: INT>`. */
  private typeName(): DataType {
    const start = this.peek();
    if (start.kind !== 'ident') this.fail('a type name');
    // Take tokens up to the closing parenthesis of CAST, balancing <> and ().
    let depth = 0;
    let end = this.i;
    for (; end < this.tokens.length; end++) {
      const tk = this.tokens[end]!;
      if (tk.kind === 'eof') break;
      if (tk.text === '<' || tk.text === '(') depth++;
      if (tk.text === '>' || tk.text === ')') {
        if (depth === 0) break;
        depth--;
      }
    }
    const last = this.tokens[end]!;
    const text = this.text.slice(start.pos, last.pos);
    try {
      const t = parseDataType(text);
      this.i = end;
      return t;
    } catch {
      return this.fail('a type name (STRING, INT, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP, DATE, …)', start);
    }
  }
}

/** One expression, as `expr()` and `where('…')` take it. */
export function parseExpression(text: string): Expr {
  if (typeof text !== 'string') throw new TypeError('an SQL expression must be a string');
  const p = new ExprParser(text);
  const e = p.expression();
  p.expectEnd();
  return e;
}

/** One selectExpr item: an expression with an optional alias. */
export function parseNamedExpression(text: string): Expr {
  if (typeof text !== 'string') throw new TypeError('selectExpr takes SQL expressions as strings');
  const p = new ExprParser(text);
  const e = p.namedExpression();
  p.expectEnd();
  return e;
}
