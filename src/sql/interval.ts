/**
 * Spark's interval strings (`'10 minutes'`, `'1 hour 30 minutes'`, `'interval -1 day'`,
 * `'500 milliseconds'`), and the rules each streaming duration applies to them: a window's
 * durations, a watermark's delay, a trigger's interval. Short unit names (`ms`, `s`, `min`, `h`,
 * `d`) and a unit right after its number (`10s`) are read too, beyond Spark.
 */
import { AnalysisException, IllegalArgumentException } from './errors.js';

/** An interval: months apart (they have no fixed length), the rest in ms; each signed. */
export interface CalendarInterval {
  readonly months: number;
  readonly ms: number;
}

const MS: Record<string, number> = {
  microsecond: 0.001,
  millisecond: 1,
  ms: 1,
  second: 1000,
  sec: 1000,
  s: 1000,
  minute: 60_000,
  min: 60_000,
  hour: 3_600_000,
  h: 3_600_000,
  day: 86_400_000,
  d: 86_400_000,
  week: 604_800_000,
};
const MONTHS: Record<string, number> = { month: 1, year: 12 };

/** Spark counts a month as 31 days where an interval must be one length (a watermark's delay). */
const MONTH_MS = 31 * 86_400_000;

/**
 * Spark's IntervalUtils.stringToInterval: an interval that does not parse throws an
 * IllegalArgumentException "Error parsing '<text>' to interval, <why>", as Spark's.
 */
export function stringToInterval(text: string): CalendarInterval {
  const fail = (why: string): never => {
    throw new IllegalArgumentException(`Error parsing '${text}' to interval, ${why}`);
  };
  const s = String(text).trim().toLowerCase();
  if (s === '') fail('interval string cannot be empty');
  const wordAt = (i: number): string => s.slice(i).split(/\s+/)[0]!;
  const part = /([+-]?)\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)/y;
  let i = /^interval(?:\s|$)/.test(s) ? 'interval'.length : 0;
  let months = 0;
  let ms = 0;
  for (;;) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    part.lastIndex = i;
    const m = part.exec(s) ?? fail(`unrecognized number '${wordAt(i)}'`);
    const [, sign, number, word] = m as unknown as [string, string, string, string];
    if (word === '') fail(part.lastIndex >= s.length ? `expect a unit name after '${number}' but hit EOL` : `invalid value '${wordAt(i)}'`);
    const unit = word in MS || word in MONTHS ? word : word.replace(/s$/, '');
    const value = Number(number) * (sign === '-' ? -1 : 1);
    if (unit in MONTHS) months += value * MONTHS[unit]!;
    else if (unit in MS) ms += value * MS[unit]!;
    else fail(`invalid unit '${word}'`);
    i = part.lastIndex;
  }
  return { months, ms };
}

/**
 * Spark's IntervalUtils.fromIntervalString (window durations, watermark delays): a string that
 * does not parse is an AnalysisException [CANNOT_PARSE_INTERVAL].
 */
export function fromIntervalString(text: string): CalendarInterval {
  try {
    return stringToInterval(text);
  } catch (e) {
    throw new AnalysisException(
      `[CANNOT_PARSE_INTERVAL] Unable to parse '${text}'. Please ensure that the value provided is in a valid format for defining an interval. ` +
        'You can reference the documentation for the correct format. If the issue persists, please double check that the input value is not null or empty and try again.',
      { cause: e },
    );
  }
}

/** A window's duration, slide or start time in ms (Spark's TimeWindow.getIntervalInMicroSeconds): months have no fixed length. */
export function windowIntervalMs(text: string): number {
  const i = fromIntervalString(text);
  if (i.months !== 0) throw new IllegalArgumentException(`Intervals greater than a month is not supported (${text}).`);
  return i.ms;
}

/** withWatermark's delay in ms (Spark's Dataset.withWatermark): a month counts 31 days; negative is refused. */
export function watermarkDelayMs(text: string): number {
  const i = fromIntervalString(text);
  const ms = i.months * MONTH_MS + i.ms;
  if (ms < 0) throw new IllegalArgumentException(`requirement failed: delay threshold (${text}) should not be negative.`);
  return ms;
}

/**
 * A processingTime trigger's interval in ms (Spark's ProcessingTimeTrigger; a number is ms):
 * months and years are refused, as a negative interval is.
 */
export function triggerIntervalMs(v: string | number): number {
  let ms: number;
  if (typeof v === 'number') ms = v;
  else {
    const i = stringToInterval(v);
    if (i.months !== 0) throw new IllegalArgumentException(`Doesn't support month or year interval: ${v}`);
    ms = i.ms;
  }
  if (Number.isNaN(ms) || ms === Infinity) throw new IllegalArgumentException(`the interval of trigger must be a number of ms, got ${v}`);
  if (ms < 0) throw new IllegalArgumentException('requirement failed: the interval of trigger should not be negative');
  return ms;
}
