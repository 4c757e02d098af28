/**
 * Spark SQL expressions as selectExpr/expr/where take them: CAST(x AS type), aliases (`x AS y`,
 * `x y`), arithmetic, comparisons, AND/OR/NOT, IS [NOT] NULL, [NOT] IN, [NOT] BETWEEN,
 * [NOT] LIKE/ILIKE/RLIKE, CASE WHEN, function calls, `a.b` struct fields, `a[i]` elements, `*`,
 * INTERVAL literals added to a timestamp, typed literals (DATE '…', TIMESTAMP '…', X'…'),
 * adjacent string literals ('a' 'b' is 'ab'), `--` and `/* *\/` comments. A precedence-climbing parser over a small tokenizer;
 * every error names the token it stopped at and its position.
 *
 * Precedence, loosest first (Spark's): OR, AND, NOT, comparison/IS/IN, + - ||, * / %, unary -,
 * postfix `.field` and `[i]`.
 */
import { resolveFunction } from './builtins.js';
import { AnalysisException, ParseException } from './errors.js';
import { parseIntervalLiteral, plusOrMinus } from './intervals.js';
import { Alias, Cast, ColumnRef, Expr, Literal, Star } from './expressions.js';
import { BinaryOp, CaseWhen, GetField, GetItem, InList, UnaryOp } from './operators.js';
import { PatternMatch, type PatternKind } from './patterns.js';
import { decimalText, Extract, TYPED_LITERAL_TYPES, typedLiteralValue, UnaryPositive, type TypedLiteralKind } from './parsedForms.js';
import { tokenize, type Token } from './tokenizer.js';
import { parseDataType, Types, type DataType } from './types.js';
import { longValue } from './values.js';

export { tokenize, type Token, type TokenKind } from './tokenizer.js';

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
      } else if (this.patternKind() !== undefined) {
        const negated = this.acceptKeyword('NOT');
        const kind = this.patternKind()!;
        this.i++;
        const pattern = this.additive();
        let escape = '\\';
        if (kind !== 'rlike' && this.acceptKeyword('ESCAPE')) {
          const t = this.next();
          if (t.kind !== 'string' || Array.from(t.text).length !== 1) this.fail('a one-character string after ESCAPE', t);
          escape = t.text;
        }
        e = new PatternMatch(kind, e, pattern, escape);
        if (negated) e = new UnaryOp('NOT', e);
      } else if (this.isKeyword('BETWEEN') || (this.isKeyword('NOT') && this.isKeyword('BETWEEN', 1))) {
        const negated = this.acceptKeyword('NOT');
        this.i++;
        const lo = this.additive();
        this.expectKeyword('AND');
        const hi = this.additive();
        e = new BinaryOp('AND', new BinaryOp('>=', e, lo), new BinaryOp('<=', e, hi));
        if (negated) e = new UnaryOp('NOT', e);
      } else return e;
    }
  }
  /** `[NOT] LIKE | ILIKE | RLIKE | REGEXP` next: which. */
  private patternKind(): PatternKind | undefined {
    const k = this.isKeyword('NOT') ? 1 : 0;
    if (this.isKeyword('LIKE', k)) return 'like';
    if (this.isKeyword('ILIKE', k)) return 'ilike';
    if (this.isKeyword('RLIKE', k) || this.isKeyword('REGEXP', k)) return 'rlike';
    return undefined;
  }
  private additive(): Expr {
    let e = this.multiplicative();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.text === '+' || t.text === '-' || t.text === '||')) {
        this.i++;
        e = plusOrMinus(t.text, e, this.multiplicative());
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
      // `-2147483648` is one literal (an int), as Spark's grammar reads a signed number.
      const t = this.peek();
      if (t.kind === 'number' && !this.isPostfixAfterNumber()) {
        this.i++;
        return this.numberLiteral(t, true);
      }
      return new UnaryOp('-', this.unary());
    }
    if (this.acceptOp('+')) return new UnaryPositive(this.unary());
    return this.postfix();
  }
  private isPostfixAfterNumber(): boolean {
    const n = this.peek(1);
    return n.kind === 'op' && (n.text === '.' || n.text === '[');
  }
  /**
   * 5 (int), 3000000000 (bigint), 10L (bigint); 5.0, 1e1 and 5D are fractional (Spark: decimal,
   * double), so a string compared with one is cast to double. A decimal keeps Spark's name, its
   * digits and scale (`100.00`), as the double it is read as cannot.
   */
  private numberLiteral(t: Token, negative: boolean): Literal {
    const raw = t.text.replace(/[LlDd]$/, '');
    // An integer of more than 15 digits may be past 2^53: read exactly, a BIGINT when it is one
    // (Spark makes a larger one a DECIMAL, a double here).
    if (/^\d{16,}[lL]?$/.test(t.text)) {
      const big = negative ? -BigInt(raw) : BigInt(raw);
      if (big === BigInt.asIntN(64, big)) return new Literal(longValue(big), Types.LONG);
      return new Literal(Number(big), Types.DOUBLE, decimalText(raw, negative));
    }
    const n = Number(raw);
    if (!Number.isFinite(n)) this.fail('a number', t);
    const v = negative ? -n : n;
    if (/[eEdD]/.test(t.text)) return new Literal(v, Types.DOUBLE);
    if (t.text.includes('.')) return new Literal(v, Types.DOUBLE, decimalText(raw, negative));
    return /[lL]$/.test(t.text) ? new Literal(v, Types.LONG) : new Literal(v);
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
      case 'number':
        this.i++;
        return this.numberLiteral(t, false);
      case 'string': {
        // Spark's `stringLit+`: adjacent string literals are one ('a' 'b' is 'ab', 'it''s' is 'its').
        let text = '';
        while (this.peek().kind === 'string') text += this.next().text;
        return new Literal(text);
      }
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
    if ((word === 'DATE' || word === 'TIMESTAMP' || word === 'X') && this.peek(1).kind === 'string') {
      this.i += 2;
      return this.typedLiteral(t, this.peek(-1).text);
    }
    if (word === 'INTERVAL' && (this.peek(1).kind === 'number' || this.peek(1).kind === 'string' || this.peek(1).text === '-')) {
      this.i++;
      return parseIntervalLiteral(this);
    }
    if (KEYWORDS.has(word) && word !== 'IN') this.fail('an expression');
    this.i++;
    if (this.isOp('(')) {
      const special = this.specialCall(word);
      return special ?? this.call(t);
    }
    return new ColumnRef([t.text]);
  }
  /**
   * Spark's typed literals, DATE '2020-01-01', TIMESTAMP '2020-01-01 10:00:00' (read in UTC, as
   * a cast reads it) and X'4142' (hex; an odd count of digits has a 0 put in front). A value that
   * does not read is Spark's INVALID_TYPED_LITERAL, at parse time.
   */
  private typedLiteral(t: Token, text: string): Literal {
    const type = t.text.toUpperCase() as TypedLiteralKind;
    const value = typedLiteralValue(type, text);
    if (value === null) {
      const before = this.text.slice(0, t.pos).split('\n');
      const where = `(line ${before.length}, pos ${before[before.length - 1]!.length})`;
      throw new ParseException(`[INVALID_TYPED_LITERAL] The value of the typed literal "${type}" is invalid: '${text}'.${where} in "${this.text}"`, t.pos, this.text);
    }
    return new Literal(value, TYPED_LITERAL_TYPES[type]);
  }
  /**
   * Spark's calls with keywords inside, read into the functions they stand for:
   * trim([BOTH | LEADING | TRAILING] [trimStr] FROM s) (trim, ltrim, rtrim; Spark's argument order,
   * trimStr first), extract(field FROM source), substring(s FROM pos [FOR len]). Undefined for
   * an ordinary call (no FROM inside its parentheses). At the name's `(`.
   */
  private specialCall(word: string): Expr | undefined {
    if (!['TRIM', 'EXTRACT', 'SUBSTRING', 'SUBSTR'].includes(word) || !this.fromInside()) return undefined;
    this.expectOp('(');
    let e: Expr;
    if (word === 'TRIM') {
      const mode = this.acceptKeyword('LEADING') ? 'ltrim' : this.acceptKeyword('TRAILING') ? 'rtrim' : (this.acceptKeyword('BOTH'), 'trim');
      const trimStr = this.isKeyword('FROM') ? undefined : this.expression();
      this.expectKeyword('FROM');
      const source = this.expression();
      e = resolveFunction(mode, trimStr ? [trimStr, source] : [source]);
    } else if (word === 'EXTRACT') {
      const field = this.identifier();
      this.expectKeyword('FROM');
      e = new Extract(field, this.expression());
    } else {
      const args = [this.expression()];
      this.expectKeyword('FROM');
      args.push(this.expression());
      if (this.acceptKeyword('FOR') || this.acceptOp(',')) args.push(this.expression());
      e = resolveFunction('substring', args);
    }
    this.expectOp(')');
    return e;
  }
  /** Whether a FROM stands inside the parentheses that open here, outside any nested ones. */
  private fromInside(): boolean {
    let depth = 0;
    for (let k = this.i; k < this.tokens.length; k++) {
      const t = this.tokens[k]!;
      if (t.kind === 'eof') return false;
      if (t.kind === 'op' && (t.text === '(' || t.text === '[')) depth++;
      else if (t.kind === 'op' && (t.text === ')' || t.text === ']')) {
        if (--depth === 0) return false;
      } else if (depth === 1 && t.kind === 'ident' && t.text.toUpperCase() === 'FROM') return true;
    }
    return false;
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
      // Spark's origin: `; line 1 pos 7` (the line's 0-based column).
      if (e instanceof AnalysisException && e.message.startsWith('[UNRESOLVED_ROUTINE]')) {
        const before = this.text.slice(0, name.pos).split('\n');
        throw new AnalysisException(`${e.message}; line ${before.length} pos ${before[before.length - 1]!.length}`);
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
