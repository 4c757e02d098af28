/**
 * The tweets of the speed-layer seed: `;`-separated lines `id;created_at;followers_count;
 * location;favorite_count;retweet_count` (the seed's `tweet` case class), and the per-location
 * aggregate it keeps for the current day: count(id), sum(followers_count), sum(favorite_count),
 * sum(retweet_count).
 *
 * Casts follow the seed's `selectExpr`: a field that does not cast is NULL — an id that is not an
 * integer is not counted by count(id), a count that is not an integer adds nothing to its sum
 * (a sum over NULLs only is NULL, as SQL's), and a created_at that is not a timestamp fails the
 * "today" filter (the SQL layer's casts: a fraction dropped, out of range null). Fields past the
 * sixth are ignored, as the seed's `tweet(x(0), …, x(5))` ignores them; a line with fewer than
 * six fields is malformed (in the seed it would throw and stop the query): counted and dropped.
 */

import { Types } from '../../sql/types.js';
import { parseTimestampText } from '../../sql/datetime.js';
import { castValue } from '../../sql/values.js';
import { holdsNul, wellFormed } from '../text.js';

export interface Tweet {
  /** The id as text (tweet ids exceed 2^53); null when it is not an integer. */
  id: string | null;
  /** ms since the epoch, or null. */
  createdAt: number | null;
  followers: number | null;
  location: string;
  favorites: number | null;
  retweets: number | null;
}

/** The running aggregate of one location on one day (UTC). */
export interface LocationTotals {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  count: number;
  /** Sums of the casts that succeeded; null while every one was NULL (SQL's sum). */
  followers: number | null;
  favorites: number | null;
  retweets: number | null;
}

/** The result table: Spark's default names for the seed's aggregates, the day, the batch. */
export const TWEETS_TABLE_TYPES = {
  location: 'text',
  'count(id)': 'bigint',
  'sum(followers_count)': 'bigint',
  'sum(favorite_count)': 'bigint',
  'sum(retweet_count)': 'bigint',
  day: 'date',
  batch_id: 'bigint',
} as const;

export const TWEETS_COLUMNS = Object.keys(TWEETS_TABLE_TYPES);

/** `cast(x as int)`, as the SQL layer casts (a fraction dropped; out of range or not a number: null). */
function int(s: string): number | null {
  return castValue(s, Types.INTEGER) as number | null;
}

/** `cast(id as long)`, kept as text: tweet ids exceed 2^53. Null out of a long's range, as Spark's cast. */
function longText(s: string): string | null {
  const m = /^([+-]?)(\d+)(?:\.\d*)?$/.exec(s.trim());
  if (!m) return null;
  const digits = m[2]!.replace(/^0+(?=\d)/, '');
  const negative = m[1] === '-' && digits !== '0';
  const limit = negative ? '9223372036854775808' : '9223372036854775807';
  if (digits.length > 19 || (digits.length === 19 && digits > limit)) return null;
  return negative ? `-${digits}` : digits;
}

/** `cast(created_at as timestamp)`: `2017-11-11 10:20:30` (UTC, as Python's str(datetime) writes it), a date, or ISO 8601 with a zone. */
export function parseTimestamp(s: string): number | null {
  return parseTimestampText(s);
}

/**
 * Parses one line; undefined when it has fewer than six `;`-separated fields, or its location
 * holds U+0000 (PostgreSQL text cannot store it: the day's export would fail for good).
 */
export function parseTweet(line: string): Tweet | undefined {
  const f = line.split(';');
  if (f.length < 6 || holdsNul(f[3]!)) return undefined;
  return {
    id: longText(f[0]!),
    createdAt: parseTimestamp(f[1]!),
    followers: int(f[2]!),
    // As PostgreSQL will store it, so locations that are one row there are one key here.
    location: wellFormed(f[3]!),
    favorites: int(f[4]!),
    retweets: int(f[5]!),
  };
}

/** The UTC day of a time, `YYYY-MM-DD`. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** One tweet as its contribution to its location's totals. */
export function contribution(t: Tweet, day: string): LocationTotals {
  return {
    day,
    count: t.id === null ? 0 : 1,
    followers: t.followers,
    favorites: t.favorites,
    retweets: t.retweets,
  };
}

/** SQL's sum of two partial sums: NULL only when both are. */
function plus(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : a + b;
}

export function addTotals(a: LocationTotals, b: LocationTotals): LocationTotals {
  return {
    day: a.day,
    count: a.count + b.count,
    followers: plus(a.followers, b.followers),
    favorites: plus(a.favorites, b.favorites),
    retweets: plus(a.retweets, b.retweets),
  };
}
