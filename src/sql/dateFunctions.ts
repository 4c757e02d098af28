/**
 * Spark's date and time functions (datetimeExpressions.scala, DateTimeUtils.scala, Spark 3.5,
 * ANSI off): field extraction, date arithmetic, truncation and Unix time. Arguments are read as
 * Spark's implicit casts read them (dateKit.ts): a string that does not parse gives null, a type
 * that does not cast fails at analysis. The session time zone is UTC.
 */
import { AnalysisException } from './errors.js';
import { Literal, type Bound, type Expr } from './expressions.js';
import { DAY_MS, MAX_MS, epochDay } from './datetime.js';
import { compileFormatter, compileParser } from './datetimePatterns.js';
import { Types } from './types.js';
import { typedString } from './values.js';
import { arity, type ScalarImpl } from './scalarKit.js';
import {
  DEFAULT_PATTERN, WEEK, castArg, civil, dateValue, dayArg, dayOfMs, isoWeek, mondayIndex, monthLength, monthsBetween, msArg, patternArg,
  plusMonths, textArg, truncDay, truncLevel, truncMs, unexpectedType, type Reader,
} from './dateKit.js';

/** An INT of a date's fields (year(d), weekofyear(d), …): Spark's GetDateField, its argument cast to DATE. */
function dateField(fn: string, f: (day: number) => number): ScalarImpl {
  return (args, _ctx, raw) => {
    arity(fn, raw, 1);
    const day = dayArg(fn, args, raw, 0);
    return { type: Types.INTEGER, eval: (r) => { const d = day(r); return d === null ? null : f(d); } };
  };
}

/** An INT of a timestamp's time of day (hour, minute, second), its argument cast to TIMESTAMP. */
function timeField(fn: string, unitMs: number, of: number): ScalarImpl {
  return (args, _ctx, raw) => {
    arity(fn, raw, 1);
    const ms = msArg(fn, args, raw, 0);
    return {
      type: Types.INTEGER,
      eval: (r) => { const t = ms(r); return t === null ? null : Math.floor((((t % of) + of) % of) / unitMs); },
    };
  };
}

const dayOfYear = (day: number): number => day - epochDay(civil(day).year, 1, 1)! + 1;

/**
 * date_add's and date_sub's day count: an INT (Spark takes INT, SMALLINT, TINYINT and casts no
 * other number); a string literal is read as an integer (StringLiteralCoercion), and one that is
 * none fails; a string column fails.
 */
function dayCount(fn: string, args: Bound[], raw: Expr[]): Reader<number> {
  const a = args[1]!;
  const lit = raw[1];
  if (a.type === Types.STRING && lit instanceof Literal && typeof lit.value === 'string') {
    const m = /^\s*([+-]?\d+)\s*$/.exec(lit.value);
    const n = m ? Number(m[1]) : NaN;
    if (!Number.isInteger(n) || n > 2147483647 || n < -2147483648) {
      throw new AnalysisException(`[SECOND_FUNCTION_ARGUMENT_NOT_INTEGER] The second argument of \`${fn}\` function needs to be an integer.`);
    }
    return () => n;
  }
  if (a.type !== Types.INTEGER && a.type !== Types.NULL) throw unexpectedType(fn, raw, 1, a.type, ['INT', 'SMALLINT', 'TINYINT']);
  const e = a.eval;
  return (r) => e(r) as number | null;
}

/** date_add / date_sub: the start (a date; a timestamp or a string is cast to one) moved by whole days. */
function addDays(fn: string, sign: 1 | -1): ScalarImpl {
  return (args, _ctx, raw) => {
    arity(fn, raw, 2);
    const start = dayArg(fn, args, raw, 0);
    const days = dayCount(fn, args, raw);
    return {
      type: Types.DATE,
      eval: (r) => {
        const d = start(r);
        const n = d === null ? null : days(r);
        return d === null || n === null ? null : dateValue(d + sign * n);
      },
    };
  };
}

/** Spark's getDayOfWeekFromString: days counted from Thursday (1970-01-01), -1 for no day name. */
function dayOfWeekIndex(text: string): number {
  const names = ['TH', 'FR', 'SA', 'SU', 'MO', 'TU', 'WE'];
  const full = ['THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY'];
  const s = text.toUpperCase();
  return names.findIndex((n, i) => s === n || s === full[i]!.slice(0, 3) || s === full[i]);
}

/** A text argument read once when it is a literal (the usual case), else per row. */
function constOrRow<T>(args: Bound[], raw: Expr[], i: number, f: (s: string) => T): Reader<T> {
  const text = textArg(args, i);
  if (raw[i] instanceof Literal) {
    const s = text({});
    const v = s === null ? null : f(s);
    return () => v;
  }
  return (r) => { const s = text(r); return s === null ? null : f(s); };
}

// ---- Unix time ----

/** Seconds of epoch milliseconds as Spark's `micros / 1000000` gives them: truncated toward zero. */
const secondsOf = (ms: number): number => Math.trunc(ms / 1000) + 0;

/** unix_timestamp / to_unix_timestamp: a date's midnight, a timestamp, or text parsed with the pattern, as BIGINT seconds. */
function unixTime(fn: string, min: number): ScalarImpl {
  return (args, ctx, raw) => {
    arity(fn, raw, min, 2);
    // No argument: current_timestamp(), the batch's (once per query execution, batchTimestamp.ts).
    if (raw.length === 0) return { type: Types.LONG, eval: () => secondsOf(ctx.now()) };
    const pattern = patternArg(raw, 1, fn, DEFAULT_PATTERN);
    const { eval: e, type: t } = args[0]!;
    if (t === Types.DATE || t === Types.TIMESTAMP) return { type: Types.LONG, eval: (r) => { const v = e(r); return v instanceof Date ? secondsOf(v.getTime()) : null; } };
    if (t === Types.NULL) return { type: Types.LONG, eval: () => null };
    if (t !== Types.STRING) throw unexpectedType(fn, raw, 0, t, ['STRING', 'DATE', 'TIMESTAMP', 'TIMESTAMP_NTZ']);
    const parse = pattern === null ? null : compileParser(pattern);
    return {
      type: Types.LONG,
      eval: (r) => {
        const v = e(r);
        const ms = parse === null || v === null || v === undefined ? null : parse(String(v));
        return ms === null ? null : secondsOf(ms);
      },
    };
  };
}

export const DATE_FUNCTIONS: Record<string, ScalarImpl> = {
  /** Spark's ParseToDate: CAST(x AS DATE), or with a pattern the day of to_timestamp(x, fmt). */
  to_date: (args, _ctx, raw) => {
    arity('to_date', raw, 1, 2);
    // Checks the type too: a value of another atomic type is read as its text (an array fails).
    const day = dayArg('to_date', args, raw, 0, true);
    const { eval: e, type: t } = args[0]!;
    if (raw[1] === undefined || t === Types.DATE || t === Types.TIMESTAMP || t === Types.NULL) {
      return { type: Types.DATE, eval: (r) => { const d = day(r); return d === null ? null : dateValue(d); } };
    }
    const pattern = patternArg(raw, 1, 'to_date', DEFAULT_PATTERN);
    const parse = pattern === null ? null : compileParser(pattern);
    return {
      type: Types.DATE,
      eval: (r) => {
        const v = e(r);
        const ms = parse === null || v === null || v === undefined ? null : parse(typedString(v, t));
        return ms === null ? null : dateValue(dayOfMs(ms));
      },
    };
  },
  year: dateField('year', (d) => civil(d).year),
  quarter: dateField('quarter', (d) => Math.floor((civil(d).month - 1) / 3) + 1),
  month: dateField('month', (d) => civil(d).month),
  dayofmonth: dateField('dayofmonth', (d) => civil(d).day),
  day: dateField('day', (d) => civil(d).day),
  // 1 = Sunday … 7 = Saturday.
  dayofweek: dateField('dayofweek', (d) => ((mondayIndex(d) + 1) % 7) + 1),
  dayofyear: dateField('dayofyear', dayOfYear),
  weekofyear: dateField('weekofyear', isoWeek),
  hour: timeField('hour', 3_600_000, DAY_MS),
  minute: timeField('minute', 60_000, 3_600_000),
  second: timeField('second', 1000, 60_000),
  last_day: (args, _ctx, raw) => {
    arity('last_day', raw, 1);
    const day = dayArg('last_day', args, raw, 0);
    return {
      type: Types.DATE,
      eval: (r) => { const d = day(r); if (d === null) return null; const c = civil(d); return dateValue(d - c.day + monthLength(c.year, c.month)); },
    };
  },
  // The first day after the start named so ('MO', 'Mon', 'Monday', any case); null for another name.
  next_day: (args, _ctx, raw) => {
    arity('next_day', raw, 2);
    const day = dayArg('next_day', args, raw, 0);
    const dow = constOrRow(args, raw, 1, dayOfWeekIndex);
    return {
      type: Types.DATE,
      eval: (r) => {
        const d = day(r);
        const w = d === null ? null : dow(r);
        return d === null || w === null || w < 0 ? null : dateValue(d + 1 + ((((w - 1 - d) % 7) + 7) % 7));
      },
    };
  },
  date_add: addDays('date_add', 1),
  date_sub: addDays('date_sub', -1),
  datediff: (args, _ctx, raw) => {
    arity('datediff', raw, 2);
    const end = dayArg('datediff', args, raw, 0);
    const start = dayArg('datediff', args, raw, 1);
    return { type: Types.INTEGER, eval: (r) => { const a = end(r); const b = a === null ? null : start(r); return a === null || b === null ? null : a - b; } };
  },
  // Spark 3's add_months keeps the day of month (clamped to a shorter month): 2019-02-28 + 1 is 2019-03-28.
  add_months: (args, _ctx, raw) => {
    arity('add_months', raw, 2);
    const day = dayArg('add_months', args, raw, 0);
    const months = castArg<number>('add_months', args, raw, 1, Types.INTEGER);
    return {
      type: Types.DATE,
      eval: (r) => { const d = day(r); const n = d === null ? null : months(r); return d === null || n === null ? null : dateValue(plusMonths(d, n)); },
    };
  },
  months_between: (args, _ctx, raw) => {
    arity('months_between', raw, 2, 3);
    const t1 = msArg('months_between', args, raw, 0);
    const t2 = msArg('months_between', args, raw, 1);
    const roundOff = raw[2] === undefined ? () => true : castArg<boolean>('months_between', args, raw, 2, Types.BOOLEAN);
    return {
      type: Types.DOUBLE,
      eval: (r) => {
        const a = t1(r);
        const b = t2(r);
        const round = roundOff(r);
        return a === null || b === null || round === null ? null : monthsBetween(a, b, round);
      },
    };
  },
  date_trunc: (args, _ctx, raw) => {
    arity('date_trunc', raw, 2);
    const level = constOrRow(args, raw, 0, truncLevel);
    const ms = msArg('date_trunc', args, raw, 1);
    return {
      type: Types.TIMESTAMP,
      eval: (r) => { const l = level(r); const t = l === null ? null : ms(r); return l === null || t === null ? null : new Date(truncMs(t, l)); },
    };
  },
  trunc: (args, _ctx, raw) => {
    arity('trunc', raw, 2);
    const day = dayArg('trunc', args, raw, 0);
    const level = constOrRow(args, raw, 1, truncLevel);
    return {
      type: Types.DATE,
      eval: (r) => { const l = level(r); const d = l === null || l < WEEK ? null : day(r); return l === null || d === null ? null : dateValue(truncDay(d, l)); },
    };
  },
  unix_timestamp: unixTime('unix_timestamp', 0),
  to_unix_timestamp: unixTime('to_unix_timestamp', 1),
  /** Seconds since the epoch as text in the pattern (BIGINT seconds: a fraction is dropped, a string cast). */
  from_unixtime: (args, _ctx, raw) => {
    arity('from_unixtime', raw, 1, 2);
    const pattern = patternArg(raw, 1, 'from_unixtime', DEFAULT_PATTERN);
    const secs = castArg<number | bigint>('from_unixtime', args, raw, 0, Types.LONG);
    const format = pattern === null ? null : compileFormatter(pattern);
    return {
      type: Types.STRING,
      eval: (r) => {
        const s = format === null ? null : secs(r);
        if (s === null || format === null) return null;
        const ms = Number(s) * 1000;
        return Math.abs(ms) <= MAX_MS ? format(new Date(ms)) : null;
      },
    };
  },
};

/** The arguments these calls' generated names show when left out (builtins.ts's NAMED_DEFAULTS). */
export { DATE_NAMED_DEFAULTS } from './dateKit.js';
