/**
 * Value conversions of Spark SQL (non-ANSI mode): CAST, comparisons, and how values print.
 * A cast that cannot convert gives null, never an error (Spark's default). Time is UTC: the
 * session time zone of dstreams is UTC, so a job's results do not depend on the machine's zone.
 */
import { ArrayType, DataType, DateValue, StructType, Types } from './types.js';

export type Row = Record<string, unknown>;

const DAY_MS = 86_400_000;
/** The range of a JS Date (±100,000,000 days around 1970). */
const MAX_MS = 8.64e15;

// ---- Spark's datetime text (DateTimeUtils.stringToTimestamp / stringToDate) ----

/** Spark trims whitespace and ISO control characters (code units up to 0x20, and 0x7f) around datetime text. */
function sparkTrim(s: string): string {
  return s.replace(/^[\x00-\x20\x7f]+|[\x00-\x20\x7f]+$/g, '');
}

/** Java's String.trim: code units up to 0x20. */
function javaTrim(s: string): string {
  return s.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '');
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (java.time's LocalDate.of), or null when there is no such day. */
export function epochDay(y: number, m: number, d: number): number | null {
  if (!Number.isInteger(y) || m < 1 || m > 12 || d < 1) return null;
  if (d > (m === 2 && isLeapYear(y) ? 29 : MONTH_DAYS[m - 1]!)) return null;
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Spark's stringToDate (CAST to DATE): `[+-]yyyy[yyy]`, `yyyy-[m]m`, `yyyy-[m]m-[d]d`, the last
 * optionally followed by ` ` or `T` and anything (`2017-01-01 10:00:00` and `2017-01-01Tjunk` are
 * 2017-01-01). Days since the epoch, or null — also for a day the calendar does not have (`2017-02-30`).
 */
export function stringToDate(text: string): number | null {
  const s = sparkTrim(text);
  if (s === '') return null;
  const valid = (segment: number, digits: number) => (segment === 0 ? digits >= 4 && digits <= 7 : digits > 0 && digits <= 2);
  const seg = [1, 1, 1];
  let sign = 1;
  let i = 0;
  let value = 0;
  let digits = 0;
  let j = 0;
  if (s[0] === '-' || s[0] === '+') {
    sign = s[0] === '-' ? -1 : 1;
    j = 1;
  }
  for (; j < s.length && s[j] !== ' ' && s[j] !== 'T'; j++) {
    const c = s.charCodeAt(j);
    if (i < 2 && c === 45) {
      if (!valid(i, digits)) return null;
      seg[i++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
    } else return null;
  }
  if (!valid(i, digits)) return null;
  // `yyyy` and `yyyy-[m]m` must be the whole text.
  if (i < 2 && j < s.length) return null;
  seg[i] = value;
  const day = epochDay(sign * seg[0]!, seg[1]!, seg[2]!);
  return day !== null && Math.abs(day * DAY_MS) <= MAX_MS ? day : null;
}

interface TimestampParts {
  /** year, month, day, hour, minute, second, microsecond */
  seg: number[];
  zone: string | undefined;
  justTime: boolean;
}

/** Spark's parseTimestampString: the fields of the text, or null when it has none of the accepted forms. */
function parseTimestampString(text: string): TimestampParts | null {
  const s = sparkTrim(text);
  if (s === '') return null;
  const valid = (segment: number, n: number) =>
    segment === 6 ||
    (segment === 0 && n >= 4 && n <= 6) ||
    (segment === 7 && n <= 2) ||
    (segment !== 0 && segment !== 6 && segment !== 7 && n > 0 && n <= 2);
  const seg = [1, 1, 1, 0, 0, 0, 0, 0, 0];
  let i = 0;
  let value = 0;
  let digits = 0;
  let fracDigits = 0;
  let justTime = false;
  let zone: string | undefined;
  let yearSign = 0;
  let j = 0;
  const next = (): boolean => {
    if (!valid(i, digits)) return false;
    seg[i++] = value;
    value = 0;
    digits = 0;
    return true;
  };
  if (s[0] === '-' || s[0] === '+') {
    yearSign = s[0] === '-' ? -1 : 1;
    j = 1;
  }
  for (; j < s.length; j++) {
    const b = s[j]!;
    const c = s.charCodeAt(j);
    if (c >= 48 && c <= 57) {
      if (i === 6) fracDigits++;
      // Digits past microseconds are dropped.
      if (i !== 6 || digits < 6) value = value * 10 + (c - 48);
      digits++;
      continue;
    }
    if (j === 0 && b === 'T') {
      justTime = true;
      i += 3;
    } else if (i < 2) {
      if (b === '-') {
        if (!next()) return null;
      } else if (i === 0 && b === ':' && yearSign === 0) {
        justTime = true;
        if (!valid(3, digits)) return null;
        seg[3] = value;
        value = 0;
        digits = 0;
        i = 4;
      } else return null;
    } else if (i === 2) {
      if ((b !== ' ' && b !== 'T') || !next()) return null;
    } else if (i === 3 || i === 4) {
      if (b !== ':' || !next()) return null;
    } else if (i === 5 || i === 6) {
      if (b === '.' && i === 5) {
        if (!next()) return null;
      } else {
        if (!next()) return null;
        zone = s.slice(j);
        j = s.length - 1;
      }
      if (i === 6 && b !== '.') i++;
    } else if (i < seg.length && (b === ':' || b === ' ')) {
      if (!next()) return null;
    } else return null;
  }
  if (!valid(i, digits)) return null;
  seg[i] = value;
  for (; fracDigits < 6; fracDigits++) seg[6]! *= 10;
  seg[0]! *= yearSign || 1;
  return { seg, zone, justTime };
}

/** A time zone: its offset (ms) at an instant, and the instant of a local time (java.time's rules for gaps and overlaps). */
interface Zone {
  offset(utcMs: number): number;
  toUtc(localMs: number): number;
}

function fixedZone(offsetSeconds: number): Zone {
  const o = offsetSeconds * 1000;
  return { offset: () => o, toUtc: (local) => local - o };
}

const UTC_ZONE = fixedZone(0);

/** java.time's ZoneId.SHORT_IDS, which Spark's getZoneId passes. */
const SHORT_IDS: Record<string, string> = {
  ACT: 'Australia/Darwin', AET: 'Australia/Sydney', AGT: 'America/Argentina/Buenos_Aires', ART: 'Africa/Cairo',
  AST: 'America/Anchorage', BET: 'America/Sao_Paulo', BST: 'Asia/Dhaka', CAT: 'Africa/Harare', CNT: 'America/St_Johns',
  CST: 'America/Chicago', CTT: 'Asia/Shanghai', EAT: 'Africa/Addis_Ababa', ECT: 'Europe/Paris',
  IET: 'America/Indiana/Indianapolis', IST: 'Asia/Kolkata', JST: 'Asia/Tokyo', MIT: 'Pacific/Apia', NET: 'Asia/Yerevan',
  NST: 'Pacific/Auckland', PLT: 'Asia/Karachi', PNT: 'America/Phoenix', PRT: 'America/Puerto_Rico',
  PST: 'America/Los_Angeles', SST: 'Pacific/Guadalcanal', VST: 'Asia/Ho_Chi_Minh', EST: '-05:00', MST: '-07:00', HST: '-10:00',
};

/** java.time's ZoneOffset.of: `Z`, `+h`, `+hh`, `+hhmm`, `+hh:mm`, `+hhmmss`, `+hh:mm:ss` up to ±18:00; seconds, or null. */
function offsetSeconds(id: string): number | null {
  if (id === 'Z') return 0;
  const s = id.length === 2 ? `${id[0]}0${id[1]}` : id;
  const num = (pos: number, colon: boolean): number => {
    if (colon && s[pos - 1] !== ':') return NaN;
    const d = s.slice(pos, pos + 2);
    return /^\d\d$/.test(d) ? Number(d) : NaN;
  };
  let h: number;
  let m = 0;
  let sec = 0;
  switch (s.length) {
    case 3: h = num(1, false); break;
    case 5: h = num(1, false); m = num(3, false); break;
    case 6: h = num(1, false); m = num(4, true); break;
    case 7: h = num(1, false); m = num(3, false); sec = num(5, false); break;
    case 9: h = num(1, false); m = num(4, true); sec = num(7, true); break;
    default: return null;
  }
  if ((s[0] !== '+' && s[0] !== '-') || [h, m, sec].some(Number.isNaN) || m > 59 || sec > 59) return null;
  const total = h * 3600 + m * 60 + sec;
  if (total > 18 * 3600) return null;
  return s[0] === '-' ? -total : total;
}

/** A region zone (`Europe/Paris`) through Intl's time zone data; null for an unknown name. */
function regionZone(id: string): Zone | null {
  if (!/^[A-Za-z][A-Za-z0-9~/._+-]+$/.test(id)) return null;
  let f: Intl.DateTimeFormat;
  try {
    f = new Intl.DateTimeFormat('en-US', { timeZone: id, timeZoneName: 'longOffset' });
  } catch {
    return null;
  }
  // Java's zone names are case-sensitive (`america/los_angeles` is no zone); Intl's are not.
  const resolved = f.resolvedOptions().timeZone;
  if (resolved !== id && resolved.toLowerCase() === id.toLowerCase()) return null;
  const offset = (utc: number): number => {
    const name = f.formatToParts(utc).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const m = /^GMT([+-])(\d{1,2})(?::(\d\d))?(?::(\d\d))?$/.exec(name);
    if (!m) return 0;
    const ms = (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)) * 1000;
    return m[1] === '-' ? -ms : ms;
  };
  const toUtc = (local: number): number => {
    const before = offset(local - DAY_MS);
    const after = offset(local + DAY_MS);
    const a = local - before;
    const b = local - after;
    const aValid = offset(a) === before;
    const bValid = offset(b) === after;
    // An overlap takes the earlier instant; a gap moves the local time forward by the gap (offset before it).
    if (aValid && bValid) return Math.min(a, b);
    if (aValid) return a;
    if (bValid) return b;
    return a;
  };
  return { offset, toUtc };
}

const zones = new Map<string, Zone | null>();

/** Spark's getZoneId: a zone offset, `UTC`/`GMT`/`UT` with or without an offset, a short id or a region; null when unknown. */
function zoneOf(text: string): Zone | null {
  const cached = zones.get(text);
  if (cached !== undefined) return cached;
  let id = javaTrim(text)
    .replace(/([+-])(\d):/, (_m, sign: string, h: string) => `${sign}0${h}:`)
    .replace(/([+-])(\d\d):(\d)$/, (_m, sign: string, h: string, m: string) => `${sign}${h}:0${m}`);
  id = SHORT_IDS[id] ?? id;
  let zone: Zone | null;
  if (id.length <= 1 || id[0] === '+' || id[0] === '-') {
    const o = offsetSeconds(id);
    zone = o === null ? null : fixedZone(o);
  } else {
    const prefix = ['UTC', 'GMT', 'UT'].find((p) => id.startsWith(p));
    if (prefix === undefined) zone = regionZone(id);
    else if (id.length === prefix.length) zone = UTC_ZONE;
    else if (id[prefix.length] === '+' || id[prefix.length] === '-') {
      const o = offsetSeconds(id.slice(prefix.length));
      zone = o === null ? null : fixedZone(o);
    } else zone = regionZone(id);
  }
  if (zones.size < 1000) zones.set(text, zone);
  return zone;
}

/**
 * Spark's stringToTimestamp (CAST to TIMESTAMP, the JSON reader): `yyyy`, `yyyy-[m]m`,
 * `yyyy-[m]m-[d]d`, then optionally ` ` or `T` and `[h]h[:[m]m[:[s]s[.ffffff]]]`, and after the
 * seconds a zone (`Z`, `+02:00`, ` UTC`, ` America/Los_Angeles`, …); a time alone (`10:00:00`,
 * `T10:00`) is today's. Without a zone the time is UTC (the session time zone). Milliseconds since
 * the epoch (microseconds are dropped), or null — also for a day or time that does not exist.
 */
export function stringToTimestamp(text: string): number | null {
  const p = parseTimestampString(text);
  if (p === null) return null;
  const [y, mo, d, h, mi, sec, micros] = p.seg as [number, number, number, number, number, number, number];
  const zone = p.zone === undefined ? UTC_ZONE : zoneOf(p.zone);
  if (zone === null || h > 23 || mi > 59 || sec > 59) return null;
  let day: number | null;
  if (p.justTime) {
    const now = Date.now();
    day = Math.floor((now + zone.offset(now)) / DAY_MS);
  } else day = epochDay(y, mo, d);
  if (day === null) return null;
  const local = day * DAY_MS + h * 3_600_000 + mi * 60_000 + sec * 1000 + Math.floor(micros / 1000);
  const ms = zone.toUtc(local);
  return Math.abs(ms) <= MAX_MS ? ms : null;
}

/** Text → ms as CAST(text AS TIMESTAMP) reads it (Spark's stringToTimestamp, session time zone UTC). */
export const parseTimestampText = stringToTimestamp;

/** A DATE value of a day number. */
export function dateOfDay(day: number): DateValue {
  return new DateValue(day * DAY_MS);
}

// ---- How values print ----

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** A year as Spark prints it: at least 4 digits, `+` past 9999, `-` before year 0. */
function yearText(y: number): string {
  if (y < 0) return `-${String(-y).padStart(4, '0')}`;
  return y > 9999 ? `+${y}` : String(y).padStart(4, '0');
}

/** Spark's string of a timestamp: `yyyy-MM-dd HH:mm:ss[.SSS]` (fraction only when non-zero). */
export function formatTimestamp(d: Date): string {
  const base = `${formatDate(d)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  const ms = d.getUTCMilliseconds();
  return ms === 0 ? base : `${base}.${String(ms).padStart(3, '0').replace(/0+$/, '')}`;
}

/** Spark's string of a date: `yyyy-MM-dd` (`0001-01-01`, `+10000-01-01`). */
export function formatDate(d: Date): string {
  return `${yearText(d.getUTCFullYear())}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
}

/** The words Spark's string → double cast takes besides numbers (Cast.processFloatingPointSpecialLiterals). */
const SPECIAL_DOUBLES = new Map([
  ['nan', NaN], ['inf', Infinity], ['+inf', Infinity], ['infinity', Infinity], ['+infinity', Infinity],
  ['-inf', -Infinity], ['-infinity', -Infinity],
]);

const JAVA_DOUBLE = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/;
const JAVA_HEX_DOUBLE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)[fFdD]?$/;

/** Spark's CAST(text AS DOUBLE): Java's Double.parseDouble (`1.5d`, `1e3`, `0x1p3`), then inf/infinity/nan in any case. */
function textToDouble(text: string): number | null {
  const t = javaTrim(text);
  if (JAVA_DOUBLE.test(t)) return Number(t.replace(/[fFdD]$/, ''));
  const hex = JAVA_HEX_DOUBLE.exec(t);
  if (hex && (hex[2] || hex[3])) {
    const frac = hex[3] ?? '';
    const v = parseInt(`${hex[2]}${frac}` || '0', 16) * 2 ** (Number(hex[4]) - 4 * frac.length);
    return hex[1] === '-' ? -v : v;
  }
  return SPECIAL_DOUBLES.get(t.toLowerCase()) ?? null;
}

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return textToDouble(v);
  if (v instanceof Date) return v.getTime() / 1000;
  return null;
}

function isFractional(v: number, from: DataType | undefined): boolean {
  return from === Types.DOUBLE || from === Types.FLOAT || (from === undefined && !Number.isInteger(v));
}

/**
 * Spark's CAST (non-ANSI): null when the value does not convert. `from` is the value's type
 * (the expression's data type); without it a Date is a DATE when it is a DateValue, and a number
 * is a DOUBLE when it has a fraction.
 */
export function castValue(v: unknown, to: DataType, from?: DataType): unknown {
  if (v === null || v === undefined) return null;
  const isDate = v instanceof Date && (from === Types.DATE || (from === undefined && v instanceof DateValue));
  switch (to) {
    case Types.STRING:
      return typedString(v, from);
    case Types.INTEGER:
    case Types.LONG: {
      const int = to === Types.INTEGER;
      if (typeof v === 'string') {
        // Spark's UTF8String.toInt/toLong: digits with an optional fraction (dropped), no exponent;
        // a value out of the type's range is null (compared as an integer: doubles round past 2^53).
        const m = /^([+-]?)(\d*)(?:\.\d*)?$/.exec(v.trim());
        if (!m || m[2] === '' && !/\.\d/.test(v)) return null;
        const whole = BigInt(`${m[1]}${m[2] || '0'}`);
        const bound = int ? 2_147_483_648n : 9_223_372_036_854_775_808n;
        return whole >= bound || whole < -bound ? null : Number(whole);
      }
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'bigint') return Number(BigInt.asIntN(int ? 32 : 64, v));
      if (v instanceof Date) {
        // A DATE has no number (null); a TIMESTAMP is its whole seconds, an INT keeping their low 32 bits.
        if (isDate) return null;
        const secs = Math.floor(v.getTime() / 1000);
        return int ? secs | 0 : secs;
      }
      if (typeof v !== 'number') return null;
      if (isFractional(v, from)) {
        // Java's (int)/(long) of a double: NaN is 0, a value past the range is the range's end.
        if (Number.isNaN(v)) return 0;
        const max = int ? 2_147_483_647 : 9_223_372_036_854_775_807;
        const min = int ? -2_147_483_648 : -9_223_372_036_854_775_808;
        return v >= max ? max : v <= min ? min : Math.trunc(v) || 0;
      }
      // A long to an int keeps its low 32 bits (Java's (int)).
      return int ? v | 0 : v;
    }
    case Types.DOUBLE:
    case Types.FLOAT:
      return isDate ? null : toNumber(v);
    case Types.BOOLEAN: {
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v !== 0;
      if (typeof v === 'string') {
        const t = v.trim().toLowerCase();
        if (['true', 't', 'yes', 'y', '1'].includes(t)) return true;
        if (['false', 'f', 'no', 'n', '0'].includes(t)) return false;
      }
      if (v instanceof Date) return isDate ? null : v.getTime() !== 0;
      return null;
    }
    case Types.TIMESTAMP: {
      if (v instanceof DateValue) return new Date(v.getTime());
      if (v instanceof Date) return v;
      if (typeof v === 'number' || typeof v === 'bigint') {
        // Seconds since the epoch (a double's microseconds truncated, as Spark's doubleToTimestamp).
        const n = Number(v);
        if (!Number.isFinite(n)) return null;
        const ms = Math.floor(Math.trunc(n * 1e6) / 1000);
        return Math.abs(ms) <= MAX_MS ? new Date(ms) : null;
      }
      if (typeof v === 'boolean') return new Date(0);
      if (typeof v === 'string') {
        const ms = stringToTimestamp(v);
        return ms === null ? null : new Date(ms);
      }
      return null;
    }
    case Types.DATE: {
      if (v instanceof DateValue) return v;
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : dateOfDay(Math.floor(v.getTime() / DAY_MS));
      if (typeof v === 'string') {
        const day = stringToDate(v);
        return day === null ? null : dateOfDay(day);
      }
      return null;
    }
    case Types.BINARY:
      return Buffer.isBuffer(v) ? v : Buffer.from(typedString(v, from), 'utf8');
  }
  if (to instanceof ArrayType) {
    if (!Array.isArray(v)) return null;
    const el = from instanceof ArrayType ? from.elementType : undefined;
    return v.map((x) => castValue(x, to.elementType, el));
  }
  if (to instanceof StructType) {
    if (typeof v !== 'object') return null;
    const out: Row = {};
    // Spark casts a struct field by field, by position; without the source type, by name.
    const src = from instanceof StructType && from.fields.length === to.fields.length ? from.fields : undefined;
    to.fields.forEach((f, i) => {
      const sf = src?.[i];
      out[f.name] = castValue((v as Row)[sf ? sf.name : f.name], f.dataType, sf?.dataType);
    });
    return out;
  }
  return v;
}

/**
 * A DOUBLE as Java's Double.toString writes it (Spark's CAST to STRING, show(), CSV): always a
 * decimal point (`40.0`), and scientific notation outside [1e-3, 1e7) (`1.0E7`, `1.5E-4`).
 */
export function doubleText(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e7) {
    const s = String(v);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [m, e] = v.toExponential().split('e') as [string, string];
  return `${m.includes('.') ? m : `${m}.0`}E${Number(e)}`;
}

/**
 * A value of type `t` as Spark's CAST(x AS STRING) writes it: a DOUBLE or FLOAT as Java writes it
 * (`2.0`), a DATE `2017-01-01`, a TIMESTAMP `2017-01-01 10:00:00[.5]`, an array `[a, b]`, a struct
 * `{a, b}` (null inside as `null`). Without `t` the value's own kind decides: a DateValue is a date,
 * another Date a timestamp, a number with a fraction a double.
 */
export function typedString(v: unknown, t?: DataType): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    const double = t === Types.DOUBLE || t === Types.FLOAT || (t !== Types.INTEGER && t !== Types.LONG && !Number.isInteger(v));
    return double ? doubleText(v) : String(v);
  }
  if (v instanceof Date) {
    const date = t === Types.DATE || (t !== Types.TIMESTAMP && v instanceof DateValue);
    return date ? formatDate(v) : formatTimestamp(v);
  }
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) {
    const el = t instanceof ArrayType ? t.elementType : undefined;
    return `[${v.map((x) => (x === null || x === undefined ? 'null' : typedString(x, el))).join(', ')}]`;
  }
  if (typeof v === 'object' && v !== null) {
    const row = v as Row;
    const parts =
      t instanceof StructType
        ? t.fields.map((f) => [row[f.name], f.dataType] as const)
        : Object.values(row).map((x) => [x, undefined] as const);
    return `{${parts.map(([x, ft]) => (x === null || x === undefined ? 'null' : typedString(x, ft))).join(', ')}}`;
  }
  return String(v);
}

/** A value of type `t` as text (CAST to STRING); the name the string functions use. */
export const valueText = typedString;

/** A value as CAST(x AS STRING) writes it when its type is not at hand (see typedString). */
export function valueToString(v: unknown): string {
  return typedString(v);
}

/** SQL ordering of two non-null values; numbers, strings, booleans, dates, buffers; structs by fields. */
export function compareSql(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return compareNumbers(a, b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Date && b instanceof Date) return compareNumbers(a.getTime(), b.getTime());
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && !(a instanceof Date) && !(b instanceof Date)) {
    const va = Object.values(a);
    const vb = Object.values(b);
    for (let i = 0; i < Math.min(va.length, vb.length); i++) {
      const c = compareNullable(va[i], vb[i]);
      if (c !== 0) return c;
    }
    return va.length - vb.length;
  }
  return compareMixed(a, b);
}

/** Spark's NaN semantics: NaN equals NaN and orders above every other number. */
function compareNumbers(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
}

/**
 * Values of different kinds (operators cast to one type first, so this is a loosely typed
 * column): a time or a number when both convert, else their text — so a value that does not
 * convert never equals everything.
 */
function compareMixed(a: unknown, b: unknown): number {
  const time = a instanceof Date || b instanceof Date;
  if (time || typeof a === 'number' || typeof b === 'number') {
    const x = time ? toMillis(a) : toNumber(a);
    const y = time ? toMillis(b) : toNumber(b);
    if (x !== null && y !== null) return compareNumbers(x, y);
  }
  const x = valueToString(a);
  const y = valueToString(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function toMillis(v: unknown): number | null {
  return v instanceof Date ? v.getTime() : ((castValue(v, Types.TIMESTAMP) as Date | null)?.getTime() ?? null);
}

/** Nulls first (Spark's ascending order). */
export function compareNullable(a: unknown, b: unknown): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  return compareSql(a, b);
}

/** SQL equality of non-null values (dates by time, buffers by bytes, structs by value; NaN = NaN as in Spark). */
export function equalSql(a: unknown, b: unknown): boolean {
  return a === b || compareSql(a, b) === 0;
}

/** Identity of one grouping value: primitives as they are (Map keys compare them by value), others as tagged text. */
export function valueKey(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean') return v;
  if (v instanceof Date) return `\u0000d${v.getTime()}`;
  return `\u0000j${JSON.stringify(v, jsonKey)}`;
}

/**
 * What identifies a grouping key by value (group by, distinct, dedup, join): a primitive for one
 * primitive value, else a string. Primitives are also valid checkpoint state keys.
 */
export function keyOf(values: readonly unknown[]): unknown {
  if (values.length === 1) return valueKey(values[0]);
  return JSON.stringify(values, jsonKey);
}

/** JSON writes NaN and ±Infinity as null: tag them so that they group apart from null (and from each other). */
function jsonKey(_k: string, v: unknown): unknown {
  if (v === undefined) return null;
  return typeof v === 'number' && !Number.isFinite(v) ? `\u0000n${v}` : v;
}
