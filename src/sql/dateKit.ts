/**
 * What the date and time functions (dateFunctions.ts) are made of: their arguments read as Spark's
 * implicit casts read them, and the proleptic Gregorian calendar of java.time's LocalDate on day
 * numbers. A DATE is a DateValue at its UTC midnight, a TIMESTAMP a Date; the session time zone
 * is UTC (datetime.ts), so a timestamp's day and time of day are its UTC ones.
 */
import { AnalysisException } from './errors.js';
import { sqlTypeName, type Bound, type Expr } from './expressions.js';
import { DAY_MS, MAX_MS, dateOfDay, epochDay, stringToDate, stringToTimestamp } from './datetime.js';
import { isAtomic } from './coercion.js';
import { literalArg } from './scalarKit.js';
import { DateValue, Types, isNumeric, type DataType } from './types.js';
import { castValue, typedString, type Row } from './values.js';

export type Reader<T> = (r: Row) => T | null;

/** Spark's TimestampFormatter.defaultPattern: unix_timestamp's and from_unixtime's format when none is given. */
export const DEFAULT_PATTERN = 'yyyy-MM-dd HH:mm:ss';

/** Arguments Spark writes into these calls' generated names when they were left out. */
export const DATE_NAMED_DEFAULTS: Record<string, string[]> = {
  months_between: ['', '', 'true'],
  unix_timestamp: ['current_timestamp()', DEFAULT_PATTERN],
  to_unix_timestamp: ['', DEFAULT_PATTERN],
  from_unixtime: ['', DEFAULT_PATTERN],
};

/** The name Spark gives the call (`date_add(2016-07-30, 1)`, `unix_timestamp(1, yyyy-MM-dd HH:mm:ss)`), for its errors. */
export function callName(fn: string, raw: Expr[]): string {
  const args = raw.map((a) => a.sql);
  const defaults = DATE_NAMED_DEFAULTS[fn] ?? [];
  for (let i = args.length; i < defaults.length; i++) args.push(defaults[i]!);
  return `${fn}(${args.join(', ')})`;
}

/** Spark's DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE: argument `i` (0-based) has a type the function takes not, nor casts to one. */
export function unexpectedType(fn: string, raw: Expr[], i: number, t: DataType, required: string[]): AnalysisException {
  const req = required.length === 1 ? `"${required[0]}"` : `(${required.map((r) => `"${r}"`).join(' or ')})`;
  return new AnalysisException(
    `[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "${callName(fn, raw)}" due to data type mismatch: ` +
      `Parameter ${i + 1} requires the ${req} type, however "${raw[i]!.sql}" has the type "${sqlTypeName(t)}".`,
  );
}

const present = (v: unknown): boolean => v !== null && v !== undefined;
export const dayOfMs = (ms: number): number => Math.floor(ms / DAY_MS);

/**
 * Argument `i` as days since the epoch: a date, a timestamp's day, a string CAST to DATE (null
 * when it does not parse). `anyText`: another atomic value is read as its text first (to_date's
 * rule); without it, another type fails as Spark's implicit cast to DATE does.
 */
export function dayArg(fn: string, args: Bound[], raw: Expr[], i: number, anyText = false): Reader<number> {
  const { eval: e, type: t } = args[i]!;
  if (t === Types.DATE || t === Types.TIMESTAMP) return (r) => { const v = e(r); return v instanceof Date ? dayOfMs(v.getTime()) : null; };
  if (t === Types.NULL) return () => null;
  if (t === Types.STRING || (anyText && isAtomic(t))) return (r) => { const v = e(r); return present(v) ? stringToDate(typedString(v, t)) : null; };
  throw unexpectedType(fn, raw, i, t, anyText ? ['STRING', 'DATE', 'TIMESTAMP', 'TIMESTAMP_NTZ'] : ['DATE']);
}

/** Argument `i` as epoch milliseconds: a timestamp, a date's midnight, a string CAST to TIMESTAMP; another type fails. */
export function msArg(fn: string, args: Bound[], raw: Expr[], i: number): Reader<number> {
  const { eval: e, type: t } = args[i]!;
  if (t === Types.DATE || t === Types.TIMESTAMP) return (r) => { const v = e(r); return v instanceof Date ? v.getTime() : null; };
  if (t === Types.NULL) return () => null;
  if (t === Types.STRING) return (r) => { const v = e(r); return present(v) ? stringToTimestamp(String(v)) : null; };
  throw unexpectedType(fn, raw, i, t, ['TIMESTAMP']);
}

/** Argument `i` implicitly cast to `to` (INT, BIGINT, BOOLEAN): a number or a string converts (null when it does not); another type fails. */
export function castArg<T>(fn: string, args: Bound[], raw: Expr[], i: number, to: DataType): Reader<T> {
  const { eval: e, type: t } = args[i]!;
  const accepted = t === to || t === Types.NULL || t === Types.STRING || (isNumeric(t) && isNumeric(to));
  if (!accepted) throw unexpectedType(fn, raw, i, t, [sqlTypeName(to)]);
  return (r) => castValue(e(r), to, t) as T | null;
}

/** Argument `i` as text (a unit, a day name): null stays null, another atomic value is its CAST text. */
export function textArg(args: Bound[], i: number): Reader<string> {
  const { eval: e, type: t } = args[i]!;
  return (r) => { const v = e(r); return present(v) ? typedString(v, t) : null; };
}

/** A datetime pattern argument: a literal (null: the function gives null), as to_timestamp's and date_format's. */
export function patternArg(raw: Expr[], i: number, fn: string, fallback: string): string | null {
  if (raw[i] === undefined) return fallback;
  const v = literalArg(raw[i], fn, 'the format');
  return v === null || v === undefined ? null : String(v);
}

/** A DATE of a day number; null past the range of a JS Date (where Spark's int days would go on). */
export function dateValue(day: number): DateValue | null {
  return Math.abs(day * DAY_MS) <= MAX_MS ? dateOfDay(day) : null;
}

// ---- java.time's LocalDate on day numbers ----

export interface Civil {
  year: number;
  month: number;
  day: number;
}

/** Year, month (1-12) and day of month of a day number (a JS Date is proleptic Gregorian too). */
export function civil(day: number): Civil {
  const d = new Date(day * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function monthLength(year: number, month: number): number {
  const next = month === 12 ? epochDay(year + 1, 1, 1)! : epochDay(year, month + 1, 1)!;
  return next - epochDay(year, month, 1)!;
}

/** 0 = Monday … 6 = Sunday (java.time's DayOfWeek ordinal); 1970-01-01 was a Thursday. */
export function mondayIndex(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** IsoFields.WEEK_OF_WEEK_BASED_YEAR: weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeek(day: number): number {
  const thursday = day - mondayIndex(day) + 3;
  return Math.floor((thursday - epochDay(civil(thursday).year, 1, 1)!) / 7) + 1;
}

/** LocalDate.plusMonths: the same day of month, or the month's last day when it is shorter. */
export function plusMonths(day: number, months: number): number {
  const c = civil(day);
  const total = c.year * 12 + (c.month - 1) + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12 + 1;
  return epochDay(year, month, Math.min(c.day, monthLength(year, month)))!;
}

/**
 * DateTimeUtils.monthsBetween: whole months when both days are the same day of month or both
 * their month's last; else the day and time difference in months of 31 days (seconds, as Hive),
 * rounded to 8 digits when `roundOff`.
 */
export function monthsBetween(ms1: number, ms2: number, roundOff: boolean): number {
  const d1 = dayOfMs(ms1);
  const d2 = dayOfMs(ms2);
  const a = civil(d1);
  const b = civil(d2);
  const monthDiff = a.year * 12 + a.month - (b.year * 12 + b.month);
  const lastA = a.day === monthLength(a.year, a.month);
  const lastB = b.day === monthLength(b.year, b.month);
  if (a.day === b.day || (lastA && lastB)) return monthDiff;
  const secondsInDay1 = Math.floor((ms1 - d1 * DAY_MS) / 1000);
  const secondsInDay2 = Math.floor((ms2 - d2 * DAY_MS) / 1000);
  const secondsDiff = (a.day - b.day) * 86_400 + secondsInDay1 - secondsInDay2;
  const diff = monthDiff + secondsDiff / (31 * 86_400);
  return roundOff ? Math.round(diff * 1e8) / 1e8 : diff;
}

// ---- date_trunc and trunc (DateTimeUtils.parseTruncLevel, truncDate, truncTimestamp) ----

const LEVELS: Record<string, number> = {
  MICROSECOND: 0, MILLISECOND: 1, SECOND: 2, MINUTE: 3, HOUR: 4, DAY: 5, DD: 5, WEEK: 6,
  MON: 7, MONTH: 7, MM: 7, QUARTER: 8, YEAR: 9, YYYY: 9, YY: 9,
};
/** trunc (of a DATE) takes the levels from WEEK up; date_trunc all. */
export const WEEK = 6;
const MONTH = 7;
const QUARTER = 8;
export const truncLevel = (unit: string): number | null => LEVELS[unit.toUpperCase()] ?? null;

export function truncDay(day: number, level: number): number {
  if (level === WEEK) return day - mondayIndex(day);
  const c = civil(day);
  if (level === MONTH) return day - c.day + 1;
  if (level === QUARTER) return epochDay(c.year, c.month - ((c.month - 1) % 3), 1)!;
  return epochDay(c.year, 1, 1)!;
}

/** Units below a day need no calendar: time zone offsets are whole seconds, and the session's is UTC. */
const UNIT_MS = [1, 1, 1000, 60_000, 3_600_000, DAY_MS];

export function truncMs(ms: number, level: number): number {
  if (level >= WEEK) return truncDay(dayOfMs(ms), level) * DAY_MS;
  const unit = UNIT_MS[level]!;
  return ms - (((ms % unit) + unit) % unit);
}
