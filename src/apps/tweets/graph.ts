/**
 * The tweet speed layer's streams (seed 000), independent of where the lines come from:
 *
 *   lines ─ split on ";" ─ today's tweets only ─ (location, contribution) ─ reduceByKey
 *         ─ updateStateByKey (running count and sums per location) ─ every `exportEvery`: the
 *           complete result, today's locations only
 *
 * "Today" is the UTC day of the batch time (or a fixed `day`, to replay a day's data). A tweet
 * counts when its `created_at` falls on that day — the seed's `created_at > current_date()`,
 * without the tweets dated in the future. Each location's state carries its day: the first
 * tweet of a new day starts the location over, and a location with nothing today is left out
 * of the result (its old state stays in memory until it tweets again: one entry per location).
 *
 * The result is produced at the batch times that are multiples of `exportEvery` (aligned on
 * the epoch: every minute on the minute), like the seed's hourly export; the export is the whole
 * table, for the sink's complete mode.
 */
import type { DStream } from '../../index.js';
import { addTotals, contribution, dayOf, parseTweet, type LocationTotals, type Tweet } from './schema.js';

export interface TweetsExport {
  time: number;
  /** The day the result is for. */
  day: string;
  /** Every location with tweets on `day`, with its totals. */
  rows: Array<[string, LocationTotals]>;
}

export interface TweetsGraphOptions {
  /** Export every this many ms (a multiple of the batch duration). */
  exportEvery: number;
  /** A fixed "today" (`YYYY-MM-DD`); default: the UTC day of each batch. */
  day?: string | undefined;
  /** The state to start from (the result table, when starting from PostgreSQL). */
  initial?: ReadonlyArray<readonly [string, LocationTotals]>;
  /** Per batch: lines that were not six `;`-separated fields (dropped). */
  onMalformed?: (time: number, count: number) => void;
}

export function defineTweetsGraph(
  records: DStream<[string | null, string]>,
  options: TweetsGraphOptions,
  output: (result: TweetsExport) => Promise<void>,
): void {
  const { exportEvery, day: fixedDay, initial = [], onMalformed } = options;
  const batch = records.slideDuration;
  if (!Number.isInteger(exportEvery) || exportEvery <= 0 || exportEvery % batch !== 0) {
    throw new RangeError(`exportEvery must be a positive multiple of the batch duration (${batch} ms), got ${exportEvery}`);
  }
  const today = (time: number): string => fixedDay ?? dayOf(time);

  const parsed = records
    .transform((rdd, time) => {
      const day = today(time);
      return rdd.map(([, line]): { tweet: Tweet | undefined; day: string } => ({ tweet: parseTweet(line), day }));
    })
    .cache();

  const perBatch = parsed
    .flatMap(({ tweet, day }): Array<[string, LocationTotals]> =>
      tweet !== undefined && tweet.createdAt !== null && dayOf(tweet.createdAt) === day
        ? [[tweet.location, contribution(tweet, day)]]
        : [],
    )
    .reduceByKey(addTotals);

  const totals = perBatch.updateStateByKey(
    (values: LocationTotals[], state: LocationTotals | undefined): LocationTotals | undefined => {
      let s = state;
      for (const v of values) {
        if (s === undefined || v.day > s.day) s = v;
        else if (v.day === s.day) s = addTotals(s, v);
      }
      return s;
    },
    { initialRDD: initial.map(([k, v]): [string, LocationTotals] => [k, v]) },
  );

  if (onMalformed) {
    parsed
      .filter(({ tweet }) => tweet === undefined)
      .count()
      .foreachRDD((rdd, time) => onMalformed(time, rdd.take(1)[0] ?? 0));
  }

  totals.foreachRDD(async (rdd, time) => {
    if (time % exportEvery !== 0) return;
    const day = today(time);
    const rows = rdd.collect().filter(([, s]) => s.day === day);
    await output({ time, day, rows });
  });
}
