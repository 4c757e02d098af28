/**
 * Generated tweets for the speed-layer seed: `id;created_at;followers_count;location;
 * favorite_count;retweet_count` lines, reproducible from a seed. Most are created on `day`
 * (UTC), the rest the day before or after (the job's "today only" filter drops them), and a
 * fraction is damaged: a wrong number of fields, or values that do not cast.
 *
 * Each line comes with the truth the tests aggregate independently of the job: its day, location
 * and contribution, or that it is malformed.
 */
import { Random } from '../random.js';

export interface TweetGeneratorOptions {
  count: number;
  /** The day most tweets are created on, `YYYY-MM-DD` (UTC). Default: today. */
  day?: string;
  /** Fraction of tweets from the day before or after `day`. Default 0.2. */
  otherDays?: number;
  /** Fraction of damaged lines. Default 0. */
  malformed?: number;
  seed?: number;
}

export type TweetTruth =
  | {
      ok: true;
      day: string;
      location: string;
      /** 1 when the id is a valid integer (counted by count(id)). */
      counted: number;
      /** null when it does not cast (NULL in the seed). */
      followers: number | null;
      favorites: number;
      retweets: number;
    }
  | { ok: false };

export interface GeneratedTweet {
  value: string;
  truth: TweetTruth;
}

const LOCATIONS = [
  'Zagreb',
  'Split',
  'London, England',
  'New York, NY',
  'São Paulo',
  'Zürich',
  '東京',
  '',
  "O'Brien's pub",
  '"The" Place',
  'back\\slash',
  'emoji 🚀 land',
  'Robert"), DROP TABLE speed_layer --',
];

const DAY_MS = 86_400_000;

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `YYYY-MM-DD HH:MM:SS` in UTC (Python's str(datetime)). */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

export function* generateTweets(options: TweetGeneratorOptions): Generator<GeneratedTweet> {
  const { count, otherDays = 0.2, malformed = 0, seed = 1 } = options;
  const day = options.day ?? new Date().toISOString().slice(0, 10);
  const dayStart = Date.parse(`${day}T00:00:00Z`);
  if (!Number.isFinite(dayStart)) throw new RangeError(`day must be YYYY-MM-DD, got ${JSON.stringify(day)}`);
  if (!(malformed >= 0 && malformed <= 1)) throw new RangeError(`malformed must be a fraction in [0, 1], got ${malformed}`);
  const rnd = new Random(seed);
  for (let i = 0; i < count; i++) {
    const offsetDays = rnd.chance(otherDays) ? rnd.pick([-1, 1]) : 0;
    const created = dayStart + offsetDays * DAY_MS + rnd.int(0, DAY_MS / 1000 - 1) * 1000;
    const id = String(930_000_000_000_000_000n + BigInt(i) * 7919n);
    const followers = rnd.chance(0.1) ? rnd.int(10_000, 5_000_000) : rnd.int(0, 2_000);
    const favorites = rnd.int(0, 50);
    const retweets = rnd.int(0, 20);
    const location = rnd.pick(LOCATIONS);
    const tweetDay = new Date(created).toISOString().slice(0, 10);
    const fields = [id, formatTimestamp(created), String(followers), location, String(favorites), String(retweets)];
    if (rnd.chance(malformed)) {
      const how = rnd.int(0, 4);
      if (how === 0) {
        yield { value: fields.slice(0, rnd.int(1, 5)).join(';'), truth: { ok: false } };
        continue;
      }
      if (how === 1) {
        // Fields past the sixth are ignored, as the seed's tweet(x(0), …, x(5)) ignores them.
        yield {
          value: [...fields, 'extra;field'].join(';'),
          truth: { ok: true, day: tweetDay, location, counted: 1, followers, favorites, retweets },
        };
        continue;
      }
      // Values that do not cast: the line is kept, the field is NULL (the seed's casts).
      if (how === 2) fields[0] = 'not-an-id';
      else if (how === 3) fields[2] = 'many';
      else fields[1] = 'yesterday-ish';
      const ok = how !== 4;
      yield {
        value: fields.join(';'),
        truth: ok
          ? {
              ok: true,
              day: tweetDay,
              location,
              counted: how === 2 ? 0 : 1,
              followers: how === 3 ? null : followers,
              favorites,
              retweets,
            }
          : // No timestamp: never today, so it counts nowhere.
            { ok: false },
      };
      continue;
    }
    yield { value: fields.join(';'), truth: { ok: true, day: tweetDay, location, counted: 1, followers, favorites, retweets } };
  }
}
