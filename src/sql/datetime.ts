/**
 * Spark SQL's dates and timestamps as text: reading them (DateTimeUtils.stringToDate /
 * stringToTimestamp, with Spark's zone ids and offsets) and printing them. Time is UTC: the session
 * time zone of dstreams is UTC, so a job's results do not depend on the machine's zone.
 */
import { DateValue } from './types.js';

export const DAY_MS = 86_400_000;
/** The range of a JS Date (±100,000,000 days around 1970). */
export const MAX_MS = 8.64e15;

// ---- Spark's datetime text (DateTimeUtils.stringToTimestamp / stringToDate) ----

/** Spark trims whitespace and ISO control characters (code units up to 0x20, and 0x7f) around datetime text. */
function sparkTrim(s: string): string {
  return s.replace(/^[\x00-\x20\x7f]+|[\x00-\x20\x7f]+$/g, '');
}

/** Java's String.trim: code units up to 0x20. */
export function javaTrim(s: string): string {
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
