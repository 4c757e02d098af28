/**
 * Spark's datetime patterns (date_format, to_timestamp with a format): the letters of Java's
 * DateTimeFormatter that dstreams supports — y M d H h m s S E a, and the zone offsets X x Z —
 * and quoted text ('T', '' for a quote). The session time zone is UTC: an offset formats as UTC's
 * (XXX → Z, xxx → +00:00, Z → +0000), and an offset parsed moves the instant to UTC. Month with 3+ letters and day names are English text (MMM → Nov, MMMM → November,
 * E–EEE → Sat, EEEE → Saturday). A pattern is compiled once; a letter outside that set fails
 * with an error naming it, where writing it literally would give silently wrong text.
 * Parsing is case-insensitive (Spark builds its parser with parseCaseInsensitive) and gives
 * null when the text does not match or names no valid date. Time is UTC.
 */
import { epochDay } from './datetime.js';
import { AnalysisException } from './errors.js';

type FieldPart = { letter: string; count: number };
type Part = FieldPart | { text: string };

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const short = (name: string): string => name.slice(0, 3);

/** Most letters a field takes (Spark/Java reject more: "Too many pattern letters"). */
const MAX_COUNT: Record<string, number> = { y: 10, M: 4, d: 2, H: 2, h: 2, m: 2, s: 2, S: 9, E: 4, a: 1, X: 5, x: 5, Z: 5 };

/**
 * UTC's offset as each offset pattern prints it (Java's DateTimeFormatter): X prints Z for a zero
 * offset, x the digits, Z +0000 (ZZZZ the localized GMT, ZZZZZ as XXXXX).
 */
const UTC_OFFSET: Record<string, readonly string[]> = {
  X: ['Z', 'Z', 'Z', 'Z', 'Z'],
  x: ['+00', '+0000', '+00:00', '+0000', '+00:00'],
  Z: ['+0000', '+0000', '+0000', 'GMT', 'Z'],
};

/** What each offset pattern reads, one group (Java's parser: the forms of that pattern; Z for zero where it prints it). */
const OFFSET_RE: Record<string, readonly string[]> = {
  X: ['Z|[+-]\\d{2}(?:\\d{2})?', 'Z|[+-]\\d{4}', 'Z|[+-]\\d{2}:\\d{2}', 'Z|[+-]\\d{4}(?:\\d{2})?', 'Z|[+-]\\d{2}:\\d{2}(?::\\d{2})?'],
  x: ['[+-]\\d{2}(?:\\d{2})?', '[+-]\\d{4}', '[+-]\\d{2}:\\d{2}', '[+-]\\d{4}(?:\\d{2})?', '[+-]\\d{2}:\\d{2}(?::\\d{2})?'],
  Z: ['[+-]\\d{4}', '[+-]\\d{4}', '[+-]\\d{4}', 'GMT(?:[+-]\\d{2}:\\d{2}(?::\\d{2})?)?', 'Z|[+-]\\d{2}:\\d{2}(?::\\d{2})?'],
};

/** Seconds east of UTC an offset's text names (Z, GMT: 0). */
function offsetSeconds(text: string): number {
  const digits = text.replace(/^GMT/i, '').replace(/:/g, '');
  if (digits === '' || digits.toUpperCase() === 'Z') return 0;
  const sign = digits[0] === '-' ? -1 : 1;
  const hh = Number(digits.slice(1, 3));
  const mm = Number(digits.slice(3, 5) || '0');
  const ss = Number(digits.slice(5, 7) || '0');
  return sign * (hh * 3600 + mm * 60 + ss);
}

function fail(pattern: string, why: string): never {
  throw new AnalysisException(`datetime pattern "${pattern}": ${why}`);
}

/** Splits a pattern into letter runs and literal text (quoted or not), checking each letter. */
function tokenize(pattern: string): Part[] {
  const parts: Part[] = [];
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      const [text, next] = quoted(pattern, i);
      parts.push({ text });
      i = next;
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      parts.push(field(pattern, c, j - i));
      i = j;
    } else if ('[]{}#'.includes(c)) {
      // Java's optional sections and reserved characters: quoted, they are plain text.
      fail(pattern, `'${c}' is not supported (quote it to write it as text)`);
    } else {
      parts.push({ text: c });
      i++;
    }
  }
  return parts;
}

/** Quoted text from the quote at `start` (Java's rules): `''` is a quote, inside quotes as well. */
function quoted(pattern: string, start: number): [string, number] {
  let end = start + 1;
  for (; end < pattern.length; end++) {
    if (pattern[end] !== "'") continue;
    if (pattern[end + 1] !== "'") break;
    end++;
  }
  if (end >= pattern.length) fail(pattern, 'a quoted text is not closed');
  const text = pattern.slice(start + 1, end);
  return [text === '' ? "'" : text.replaceAll("''", "'"), end + 1];
}

function field(pattern: string, letter: string, count: number): FieldPart {
  const max = MAX_COUNT[letter];
  if (max === undefined) {
    fail(pattern, `pattern letter '${letter}' is not supported (supported: y M d H h m s S E a X x Z; quote literal text, as in 'T')`);
  }
  if (count > max) fail(pattern, `too many pattern letters: ${letter}`);
  return { letter, count };
}

const two = (n: number): string => String(n).padStart(2, '0');

function formatField(d: Date, letter: string, count: number): string {
  const num = (n: number): string => (count === 2 ? two(n) : String(n));
  switch (letter) {
    case 'y': {
      const y = d.getUTCFullYear();
      return count === 2 ? two(y % 100) : String(y).padStart(count, '0');
    }
    case 'M': {
      const m = d.getUTCMonth();
      return count >= 3 ? (count === 4 ? MONTHS[m]! : short(MONTHS[m]!)) : num(m + 1);
    }
    case 'd': return num(d.getUTCDate());
    case 'H': return num(d.getUTCHours());
    case 'h': return num(d.getUTCHours() % 12 || 12);
    case 'm': return num(d.getUTCMinutes());
    case 's': return num(d.getUTCSeconds());
    case 'S': {
      const ms = String(d.getUTCMilliseconds()).padStart(3, '0');
      return count <= 3 ? ms.slice(0, count) : ms.padEnd(count, '0');
    }
    case 'E': return count === 4 ? DAYS[d.getUTCDay()]! : short(DAYS[d.getUTCDay()]!);
    case 'X':
    case 'x':
    case 'Z': return UTC_OFFSET[letter]![count - 1]!;
    default: return d.getUTCHours() < 12 ? 'AM' : 'PM';
  }
}

/** date_format's formatter for a pattern. */
export function compileFormatter(pattern: string): (d: Date) => string {
  const parts = tokenize(pattern);
  return (d) => parts.map((p) => ('text' in p ? p.text : formatField(d, p.letter, p.count))).join('');
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The regular expression one field reads (numbers as loosely as the project always took them: 1–2 digits for MM, dd, …). */
function fieldRe(pattern: string, letter: string, count: number): string {
  switch (letter) {
    case 'y': return count === 2 ? '(\\d{2})' : `(\\d{${count},${Math.max(count, 4)}})`;
    case 'M': return count === 4 ? `(${MONTHS.join('|')})` : count === 3 ? `(${MONTHS.map(short).join('|')})` : '(\\d{1,2})';
    case 'S': return `(\\d{1,${count}})`;
    case 'a': return '(AM|PM)';
    case 'X':
    case 'x':
    case 'Z': return `(${OFFSET_RE[letter]![count - 1]!})`;
    // Spark rejects day-of-week letters when parsing (DateTimeFormatterHelper.unsupportedLettersForParsing).
    case 'E': return fail(pattern, `pattern letter 'E' cannot be used for parsing`);
    default: return '(\\d{1,2})';
  }
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number | undefined;
  hour12: number | undefined;
  pm: boolean | undefined;
  minute: number;
  second: number;
  ms: number;
  /** Seconds east of UTC the text gave (an offset pattern), 0 without. */
  offset: number;
}

function readField(f: Fields, letter: string, count: number, text: string): void {
  const n = Number(text);
  switch (letter) {
    case 'y': f.year = count === 2 ? 2000 + n : n; break; // Java's reduced two-digit year: base 2000
    case 'M': f.month = count >= 3 ? monthIndex(text, count) + 1 : n; break;
    case 'd': f.day = n; break;
    case 'H': f.hour = n; break;
    case 'h': f.hour12 = n; break;
    case 'm': f.minute = n; break;
    case 's': f.second = n; break;
    case 'S': f.ms = Number(text.padEnd(3, '0').slice(0, 3)); break;
    case 'X':
    case 'x':
    case 'Z': f.offset = offsetSeconds(text); break;
    default: f.pm = text.toUpperCase() === 'PM';
  }
}

function monthIndex(text: string, count: number): number {
  const names = count === 4 ? MONTHS : MONTHS.map(short);
  return names.findIndex((m) => m.toLowerCase() === text.toLowerCase());
}

/** The instant the fields name, or null when one is out of range (Spark's STRICT resolver). */
function toMillis(f: Fields): number | null {
  if (f.hour12 !== undefined && (f.hour12 < 1 || f.hour12 > 12)) return null;
  // Spark: h without a takes AM; a alone (PM) is 12:00.
  const hour = f.hour ?? (f.hour12 !== undefined ? (f.hour12 % 12) + (f.pm ? 12 : 0) : f.pm ? 12 : 0);
  if (hour > 23 || f.minute > 59 || f.second > 59) return null;
  // Not Date.UTC: it reads years 0-99 as 1900-1999, and rolls a day past the month's end over.
  const day = epochDay(f.year, f.month, f.day);
  return day === null ? null : day * 86_400_000 + ((hour * 60 + f.minute) * 60 + f.second - f.offset) * 1000 + f.ms;
}

/** to_timestamp's parser for a pattern: epoch ms, or null when the text does not match. */
export function compileParser(pattern: string): (s: string) => number | null {
  const fields: FieldPart[] = [];
  const source = tokenize(pattern)
    .map((p) => {
      if ('text' in p) return escapeRe(p.text);
      fields.push(p);
      return fieldRe(pattern, p.letter, p.count);
    })
    .join('');
  const re = new RegExp(`^${source}$`, 'i');
  return (s) => {
    const m = re.exec(s.trim());
    if (!m) return null;
    const f: Fields = { year: 1970, month: 1, day: 1, hour: undefined, hour12: undefined, pm: undefined, minute: 0, second: 0, ms: 0, offset: 0 };
    fields.forEach((p, i) => readField(f, p.letter, p.count, m[i + 1]!));
    return toMillis(f);
  };
}
