/**
 * The tweet speed layer without Kafka or PostgreSQL: parsing, the generator and the job's streams
 * on a queueStream (unit tests; the integration test is tweets-job.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { ManualClock, StreamingContext } from '../../src/index.js';
import { generateTweets } from '../../src/apps/tweets/generate.js';
import { defineTweetsGraph, type TweetsExport } from '../../src/apps/tweets/graph.js';
import { parseTimestamp, parseTweet, type LocationTotals } from '../../src/apps/tweets/schema.js';
import { expectedTweetTotals } from './expected.js';

describe('parseTweet', () => {
  it('splits on ";" and casts like the seed (NULL when a field does not cast)', () => {
    expect(parseTweet('928652316434567168;2017-11-09 15:03:21;1523;Zagreb;3;1')).toEqual({
      id: '928652316434567168',
      createdAt: Date.UTC(2017, 10, 9, 15, 3, 21),
      followers: 1523,
      location: 'Zagreb',
      favorites: 3,
      retweets: 1,
    });
    expect(parseTweet('x1;2017-11-09T15:03:21+01:00;many;;-2; 7 ')).toEqual({
      id: null,
      createdAt: Date.UTC(2017, 10, 9, 14, 3, 21),
      followers: null,
      location: '',
      favorites: -2,
      retweets: 7,
    });
    // Spark's casts: a fraction dropped, out of range null, a date is its midnight.
    expect(parseTweet('99999999999999999999;2017-11-09;12.0;Split;3000000000;-0')).toEqual({
      id: null,
      createdAt: Date.UTC(2017, 10, 9),
      followers: 12,
      location: 'Split',
      favorites: null,
      retweets: 0,
    });
    expect(parseTweet('9223372036854775807;x;1;L;1;1')!.id).toBe('9223372036854775807');
    expect(parseTweet('1;x;1e3;L;2.5e1;7')).toMatchObject({ followers: null, favorites: null, retweets: 7 }); // no exponent in Spark's toInt
    expect(parseTweet('-9223372036854775808;x;1;L;1;1')!.id).toBe('-9223372036854775808');
    expect(parseTweet('9223372036854775808;x;1;L;1;1')!.id).toBeNull();
    expect(parseTweet('1;2;3;4;5')).toBeUndefined();
    // A location PostgreSQL cannot store (U+0000) makes the line malformed; a lone surrogate is stored as U+FFFD.
    expect(parseTweet('1;2017-11-09 15:03:21;1;Zag\u0000reb;1;1')).toBeUndefined();
    expect(parseTweet('1;2017-11-09 15:03:21;1;Zag\ud800reb;1;1')!.location).toBe('Zag\ufffdreb');
    // Fields past the sixth are ignored, as the seed's tweet(x(0), …, x(5)) ignores them.
    expect(parseTweet('1;2017-11-09;5;Split;2;3;extra;field')).toEqual({
      id: '1',
      createdAt: Date.UTC(2017, 10, 9),
      followers: 5,
      location: 'Split',
      favorites: 2,
      retweets: 3,
    });
    expect(parseTimestamp('yesterday')).toBeNull();
    expect(parseTimestamp('2017-13-40 99:00:00')).toBeNull();
  });

  it('the generator is reproducible and its truth agrees with the parser', () => {
    const a = [...generateTweets({ count: 3000, day: '2017-11-11', malformed: 0.1, seed: 5 })];
    expect(a).toEqual([...generateTweets({ count: 3000, day: '2017-11-11', malformed: 0.1, seed: 5 })]);
    const days = new Set<string>();
    for (const { value, truth } of a) {
      const t = parseTweet(value);
      if (!truth.ok) {
        expect(t === undefined || t.createdAt === null, value).toBe(true);
        continue;
      }
      days.add(truth.day);
      expect(t, value).toBeDefined();
      expect(t!.location).toBe(truth.location);
      expect(t!.id === null ? 0 : 1).toBe(truth.counted);
      expect(t!.followers).toBe(truth.followers);
    }
    expect([...days].sort()).toEqual(['2017-11-10', '2017-11-11', '2017-11-12']);
  });
});

async function runGraph(
  batches: string[][],
  options: { exportEvery: number; day?: string; startTime?: number; initial?: Array<[string, LocationTotals]> },
): Promise<{ exports: TweetsExport[]; malformed: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'dstreams-tweets-unit-'));
  const clock = new ManualClock(options.startTime ?? 0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock, checkpointDir: dir });
  const exports: TweetsExport[] = [];
  let malformed = 0;
  defineTweetsGraph(
    ssc.queueStream(batches.map((b) => b.map((line): [string | null, string] => [null, line]))),
    { exportEvery: options.exportEvery, day: options.day, initial: options.initial ?? [], onMalformed: (_t, n) => (malformed += n) },
    async (e) => void exports.push(e),
  );
  try {
    await ssc.start();
    await clock.advance(batches.length * 1000);
  } finally {
    await ssc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { exports, malformed };
}

describe('defineTweetsGraph (queueStream)', () => {
  it('exports the complete per-location totals of today every exportEvery, other days left out', async () => {
    const { exports, malformed } = await runGraph(
      [
        ['1;2017-11-11 10:00:00;100;Zagreb;1;2', '2;2017-11-11 11:00:00;10;Split;0;0', '3;2017-11-10 23:59:59;5;Zagreb;9;9'],
        ['4;2017-11-11 12:00:00;1;Zagreb;1;1', 'broken line'],
        ['x;2017-11-11 13:00:00;7;Rijeka;0;0'],
        [],
      ],
      { exportEvery: 2000, day: '2017-11-11' },
    );
    expect(malformed).toBe(1);
    expect(exports.map((e) => e.time)).toEqual([2000, 4000]);
    const asObject = (e: TweetsExport) => Object.fromEntries(e.rows.map(([k, v]) => [k, [v.count, v.followers, v.favorites, v.retweets]]));
    expect(asObject(exports[0]!)).toEqual({ Zagreb: [2, 101, 2, 3], Split: [1, 10, 0, 0] });
    expect(asObject(exports[1]!)).toEqual({ Zagreb: [2, 101, 2, 3], Split: [1, 10, 0, 0], Rijeka: [0, 7, 0, 0] });
  });

  it("a location's sum over NULLs only is NULL (SQL's sum), and a value that casts makes it that value", async () => {
    const { exports } = await runGraph(
      [['1;2017-11-11 10:00:00;many;Zagreb;x;1', '2;2017-11-11 10:00:00;lots;Split;1;1'], ['3;2017-11-11 11:00:00;4;Split;y;1']],
      { exportEvery: 1000, day: '2017-11-11' },
    );
    const rows = exports.map((e) => Object.fromEntries(e.rows.map(([k, v]) => [k, [v.count, v.followers, v.favorites, v.retweets]])));
    expect(rows).toEqual([
      { Zagreb: [1, null, null, 1], Split: [1, null, 1, 1] },
      { Zagreb: [1, null, null, 1], Split: [2, 4, 1, 2] },
    ]);
  });

  it('a new day starts every location over, and yesterday’s locations leave the result', async () => {
    const midnight = Date.UTC(2017, 10, 12);
    const { exports } = await runGraph(
      [['1;2017-11-11 23:59:58;1;Zagreb;0;0', '2;2017-11-11 23:59:58;1;Split;0;0'], ['3;2017-11-12 00:00:00;5;Zagreb;0;0'], []],
      { exportEvery: 1000, startTime: midnight - 2000 },
    );
    expect(exports.map((e) => [e.time, e.day, e.rows.map(([k, v]) => [k, v.count, v.followers])])).toEqual([
      [midnight - 1000, '2017-11-11', [['Zagreb', 1, 1], ['Split', 1, 1]]],
      [midnight, '2017-11-12', [['Zagreb', 1, 5]]],
      [midnight + 1000, '2017-11-12', [['Zagreb', 1, 5]]],
    ]);
  });

  it('starts from an initial state and ends equal to the independent aggregate of generated tweets', async () => {
    const gen = [...generateTweets({ count: 4000, day: '2017-11-11', malformed: 0.05, seed: 9 })];
    const batches: string[][] = [];
    for (let i = 0; i < gen.length; i += 500) batches.push(gen.slice(i, i + 500).map((g) => g.value));
    const { exports } = await runGraph(batches, { exportEvery: 4000, day: '2017-11-11' });
    expect(exports.map((e) => e.time)).toEqual([4000, 8000]);
    const got = Object.fromEntries(exports.at(-1)!.rows.map(([k, v]) => [k, [v.count, v.followers, v.favorites, v.retweets]]));
    expect(got).toEqual(expectedTweetTotals(gen, '2017-11-11'));
  });

  it('rejects an export interval that is not a multiple of the batch', () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    expect(() => defineTweetsGraph(ssc.queueStream<[string | null, string]>([]), { exportEvery: 1500 }, async () => {})).toThrow(
      /multiple of the batch duration/,
    );
  });
});
