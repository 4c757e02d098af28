/**
 * SQL interval literals in timestamp arithmetic: `ts + INTERVAL 1 HOUR`, `d - INTERVAL '2' DAY`,
 * `ts + INTERVAL 1 HOUR 30 MINUTES`, `ts + INTERVAL 1 MONTH`. Spark 3.5 types them as ANSI
 * intervals (day-time or year-month) and names them as it prints them (`INTERVAL '01' HOUR`,
 * `INTERVAL '01:30' HOUR TO MINUTE`, `INTERVAL '1' MONTH`); the sum is named `ts + INTERVAL '01'
 * HOUR`. dstreams has no interval column type: an interval literal is only read added to or
 * subtracted from a timestamp, a date or a string (read as a timestamp).
 */
import { AnalysisException } from './errors.js';
import { Expr, type BindContext, type Bound } from './expressions.js';
import { BinaryOp } from './operators.js';
import type { Token } from './tokenizer.js';
import { Types } from './types.js';
import { castValue, typedString } from './values.js';

const DAY_TIME = ['DAY', 'HOUR', 'MINUTE', 'SECOND'] as const;
const YEAR_MONTH = ['YEAR', 'MONTH'] as const;
const MS: Record<string, number> = { DAY: 86_400_000, HOUR: 3_600_000, MINUTE: 60_000, SECOND: 1000 };

/** A unit word (`hours`, `MINUTE`, `weeks`) as [field, multiplier of that field]. */
function unitOf(word: string): [string, number] | undefined {
  const u = word.toUpperCase().replace(/S$/, '');
  if ((DAY_TIME as readonly string[]).includes(u) || (YEAR_MONTH as readonly string[]).includes(u)) return [u, 1];
  if (u === 'WEEK') return ['DAY', 7];
  if (u === 'MILLISECOND') return ['SECOND', 0.001];
  if (u === 'MICROSECOND') return ['SECOND', 0.000001];
  return undefined;
}

export class IntervalLiteral extends Expr {
  constructor(
    /** Months of a year-month interval. */
    readonly months: number,
    /** Milliseconds of a day-time interval. */
    readonly ms: number,
    readonly yearMonth: boolean,
    /** The leading and trailing fields (`HOUR TO MINUTE`). */
    readonly start: string,
    readonly end: string,
  ) {
    super();
  }
  get name(): string {
    return this.yearMonth ? yearMonthString(this.months, this.start, this.end) : dayTimeString(this.ms, this.start, this.end);
  }
  bind(): Bound {
    throw new AnalysisException(`${this.name}: dstreams reads an interval literal only added to or subtracted from a timestamp or date`);
  }
  negate(): IntervalLiteral {
    return new IntervalLiteral(-this.months, -this.ms, this.yearMonth, this.start, this.end);
  }
}

/** Spark's IntervalUtils.toDayTimeIntervalString (ANSI style), at millisecond precision. */
function dayTimeString(ms: number, start: string, end: string): string {
  let rest = Math.abs(ms) * 1000; // micros
  let out = ms < 0 ? '-' : '';
  const seconds = (micros: number) => `${micros < 10_000_000 ? '0' : ''}${trimZeros(micros / 1e6)}`;
  const two = (n: number) => String(n).padStart(2, '0');
  const take = (unitMs: number) => {
    const n = Math.floor(rest / (unitMs * 1000));
    rest -= n * unitMs * 1000;
    return n;
  };
  if (start === 'DAY') out += String(take(MS.DAY!));
  else if (start === 'HOUR') out += two(take(MS.HOUR!));
  else if (start === 'MINUTE') out += two(take(MS.MINUTE!));
  else out += seconds(rest);
  const si = DAY_TIME.indexOf(start as (typeof DAY_TIME)[number]);
  const ei = DAY_TIME.indexOf(end as (typeof DAY_TIME)[number]);
  if (si < 1 && ei >= 1) out += ` ${two(take(MS.HOUR!))}`;
  if (si < 2 && ei >= 2) out += `:${two(take(MS.MINUTE!))}`;
  if (si < 3 && ei >= 3) out += `:${seconds(rest)}`;
  return `INTERVAL '${out}' ${start === end ? start : `${start} TO ${end}`}`;
}

function trimZeros(n: number): string {
  return n.toFixed(6).replace(/\.?0+$/, '');
}

/** Spark's IntervalUtils.toYearMonthIntervalString (ANSI style). */
function yearMonthString(months: number, start: string, end: string): string {
  const sign = months < 0 ? '-' : '';
  const abs = Math.abs(months);
  const year = `${sign}${Math.floor(abs / 12)}`;
  if (start !== end) return `INTERVAL '${year}-${abs % 12}' YEAR TO MONTH`;
  return `INTERVAL '${start === 'YEAR' ? year : months}' ${start}`;
}

/** What the interval reader needs of the expression parser (parser.ts imports this module). */
export interface TokenReader {
  peek(k?: number): Token;
  next(): Token;
  isKeyword(word: string, k?: number): boolean;
  isOp(op: string): boolean;
  acceptOp(op: string): boolean;
  fail(expected: string, t?: Token): never;
}

/**
 * After the INTERVAL keyword: `1 HOUR`, `'2' DAY`, `-5 MINUTES`, `1 HOUR 30 MINUTES` (a unit of
 * each, largest first as Spark's fields are), `'01:30' HOUR TO MINUTE`.
 */
export function parseIntervalLiteral(p: TokenReader): IntervalLiteral {
  const parts: [string, number][] = [];
  for (;;) {
    const negative = p.acceptOp('-');
    const t = p.next();
    if (t.kind !== 'number' && t.kind !== 'string') p.fail('an interval value (INTERVAL 1 HOUR)', t);
    const unitTok = p.peek();
    const unit = unitTok.kind === 'ident' ? unitOf(unitTok.text) : undefined;
    if (!unit) p.fail('an interval unit (YEAR, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND)', unitTok);
    p.next();
    if (t.kind === 'string' && p.isKeyword('TO')) {
      p.next();
      const endTok = p.next();
      const endUnit = endTok.kind === 'ident' ? unitOf(endTok.text) : undefined;
      if (!endUnit) p.fail('an interval unit after TO', endTok);
      return fromTo(t.text, unit[0], endUnit[0], p);
    }
    const n = Number(t.text.trim());
    if (!Number.isFinite(n)) p.fail('a number in the interval', t);
    parts.push([unit[0], (negative ? -n : n) * unit[1]]);
    const k = p.isOp('-') ? 1 : 0;
    const more = (p.peek(k).kind === 'number' || p.peek(k).kind === 'string') && p.peek(k + 1).kind === 'ident' && unitOf(p.peek(k + 1).text) !== undefined;
    if (!more) break;
  }
  const fields = parts.map(([f]) => f);
  const ym = fields.every((f) => (YEAR_MONTH as readonly string[]).includes(f));
  const dt = fields.every((f) => (DAY_TIME as readonly string[]).includes(f));
  if (!ym && !dt) throw new AnalysisException('dstreams reads an interval of either years and months or days and times, not both in one literal');
  const order: readonly string[] = ym ? YEAR_MONTH : DAY_TIME;
  const idx = fields.map((f) => order.indexOf(f));
  const start = order[Math.min(...idx)]!;
  const end = order[Math.max(...idx)]!;
  if (ym) return new IntervalLiteral(parts.reduce((a, [f, n]) => a + (f === 'YEAR' ? n * 12 : n), 0), 0, true, start, end);
  return new IntervalLiteral(0, parts.reduce((a, [f, n]) => a + n * MS[f]!, 0), false, start, end);
}

/** `'1-2' YEAR TO MONTH`, `'1 02' DAY TO HOUR`, `'01:30' HOUR TO MINUTE`, `'01:30:05' HOUR TO SECOND`. */
function fromTo(text: string, start: string, end: string, p: TokenReader): IntervalLiteral {
  const s = text.trim();
  const negative = s.startsWith('-');
  const body = s.replace(/^[-+]/, '');
  if (start === 'YEAR' && end === 'MONTH') {
    const m = /^(\d+)-(\d+)$/.exec(body);
    if (!m) return p.fail(`an interval 'y-m' YEAR TO MONTH`);
    const months = Number(m[1]) * 12 + Number(m[2]);
    return new IntervalLiteral(negative ? -months : months, 0, true, start, end);
  }
  const si = DAY_TIME.indexOf(start as (typeof DAY_TIME)[number]);
  const ei = DAY_TIME.indexOf(end as (typeof DAY_TIME)[number]);
  const nums = body.split(/[ :]/).map(Number);
  if (si < 0 || ei <= si || nums.length !== ei - si + 1 || nums.some((n) => !Number.isFinite(n))) return p.fail(`an interval matching ${start} TO ${end}`);
  const ms = nums.reduce((a, n, i) => a + n * MS[DAY_TIME[si + i]!]!, 0);
  return new IntervalLiteral(0, negative ? -ms : ms, false, start, end);
}

/** The parser's `a + b` / `a - b`: with an interval literal on a side, a timestamp's addition. */
export function plusOrMinus(op: string, l: Expr, r: Expr): Expr {
  if (op === '+' && l instanceof IntervalLiteral && !(r instanceof IntervalLiteral)) return new IntervalAdd(r, l, '+');
  if ((op === '+' || op === '-') && r instanceof IntervalLiteral && !(l instanceof IntervalLiteral)) return new IntervalAdd(l, r, op);
  return new BinaryOp(op, l, r);
}

/** `ts + interval` / `ts - interval`: Spark's TimeAdd, DateAdd and AddMonths (months clamp to the month's last day). */
export class IntervalAdd extends Expr {
  constructor(
    readonly left: Expr,
    readonly interval: IntervalLiteral,
    readonly op: '+' | '-',
  ) {
    super();
  }
  /** Set by bind: a date plus whole days is Spark's DateAdd, named so. */
  private dateAdd = false;
  get name(): string {
    if (this.dateAdd) {
      const days = `extractansiintervaldays(${this.interval.sql})`;
      return `date_add(${this.left.sql}, ${this.op === '-' ? `(- ${days})` : days})`;
    }
    return `${this.left.sql} ${this.op} ${this.interval.sql}`;
  }
  bind(ctx: BindContext): Bound {
    const l = this.left.bind(ctx);
    const i = this.op === '-' ? this.interval.negate() : this.interval;
    let type = Types.TIMESTAMP;
    // A date stays a date with whole months or days (AddMonths, DateAdd); a string gives a
    // string (the timestamp's text) with a day-time interval.
    if (l.type === Types.DATE && (i.yearMonth || i.end === 'DAY')) type = Types.DATE;
    else if (l.type === Types.STRING && !i.yearMonth) type = Types.STRING;
    else if (l.type !== Types.TIMESTAMP && l.type !== Types.DATE && l.type !== Types.NULL) {
      const t = l.type === Types.STRING ? 'DOUBLE' : l.type.simpleString().toUpperCase();
      throw new AnalysisException(
        `[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] Cannot resolve "(${this.name})" due to data type mismatch: the left and right operands of the binary operator have incompatible types ("${t}" and "INTERVAL ${this.interval.start === this.interval.end ? this.interval.start : `${this.interval.start} TO ${this.interval.end}`}").`,
      );
    }
    this.dateAdd = l.type === Types.DATE && !i.yearMonth && i.start === 'DAY' && i.end === 'DAY';
    const le = l.eval;
    const { months, ms } = i;
    const text = type === Types.STRING;
    return {
      type,
      eval: (r) => {
        const v = le(r);
        const d = v instanceof Date ? v : (castValue(v, Types.TIMESTAMP) as Date | null);
        if (d === null) return null;
        const out = new Date(addMonths(d.getTime(), months) + ms);
        return text ? typedString(out, Types.TIMESTAMP) : out;
      },
    };
  }
  override children(): Expr[] {
    return [this.left];
  }
  override withChildren(c: Expr[]): Expr {
    return new IntervalAdd(c[0]!, this.interval, this.op);
  }
}

/** java.time's plusMonths in UTC: the day of the month is kept, or the month's last day when it has fewer. */
function addMonths(t: number, months: number): number {
  if (months === 0) return t;
  const d = new Date(t);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  // setUTCFullYear, not Date.UTC: that reads years 0-99 as 1900-1999.
  const end = new Date(0);
  end.setUTCFullYear(y, m + 1, 0);
  const day = Math.min(d.getUTCDate(), end.getUTCDate());
  d.setUTCFullYear(y, m, day);
  return d.getTime();
}
