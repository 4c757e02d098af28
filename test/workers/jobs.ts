/**
 * Job modules for the worker-pool tests: each definition builds the same graph in the main
 * thread and in every worker thread. Outputs run only in the main thread; they put what they see
 * into `seen`, keyed by the run's id (a parameter), for the test to read.
 */
import { isMainThread } from 'node:worker_threads';
import { defineJob, Seconds, type DStream, type StreamingContext } from '../../src/index.js';

export interface Params {
  port: number;
  run: string;
  /** `failing` and `throwing` only: the word whose mapping throws. */
  poison?: string;
  /** `throwing` only: what it throws (see there). */
  how?: 'dom' | 'causeFn' | 'named' | 'symbol';
}

/** What each run's outputs saw: per batch, the batch's pairs; and the last state or window. */
export const seen = new Map<string, { batches: [string, number][][]; words: number; last: [string, number][] }>();

function record(run: string): { batches: [string, number][][]; words: number; last: [string, number][] } {
  let r = seen.get(run);
  if (!r) seen.set(run, (r = { batches: [], words: 0, last: [] }));
  return r;
}

const pairs = (ssc: StreamingContext, port: number): DStream<[string, number]> =>
  ssc
    .socketTextStream('127.0.0.1', port)
    .flatMap((line) => line.split(' '))
    .filter((w) => w.length > 0)
    .map((w): [string, number] => [w.toLowerCase(), 1]);

export const wordcount = defineJob(
  import.meta.url,
  (ssc, p: Params) => {
    pairs(ssc, p.port)
      .reduceByKey((a, b) => a + b, 3)
      .foreachRDD((rdd) => {
        const r = record(p.run);
        const batch = rdd.glom().collect().flat();
        for (const [, n] of batch) r.words += n;
        r.batches.push(batch);
      });
  },
  { name: 'wordcount' },
);

export const state = defineJob(
  import.meta.url,
  (ssc, p: Params) => {
    const counts = pairs(ssc, p.port).reduceByKey((a, b) => a + b);
    counts.foreachRDD((rdd) => void (record(p.run).words += rdd.values().fold(0, (a, b) => a + b)));
    counts
      .updateStateByKey((vs: number[], s: number | undefined) => vs.reduce((a, b) => a + b, s ?? 0))
      .foreachRDD((rdd) => void (record(p.run).last = rdd.collect()));
  },
  { name: 'state' },
);

export const window = defineJob(
  import.meta.url,
  (ssc, p: Params) => {
    const counts = pairs(ssc, p.port).reduceByKey((a, b) => a + b);
    counts.foreachRDD((rdd) => void (record(p.run).words += rdd.values().fold(0, (a, b) => a + b)));
    counts
      .reduceByKeyAndWindow((a: number, b: number) => a + b, Seconds(60))
      .foreachRDD((rdd) => void (record(p.run).last = rdd.collect()));
  },
  { name: 'window' },
);

export const failing = defineJob(
  import.meta.url,
  (ssc, p: Params) => {
    ssc
      .socketTextStream('127.0.0.1', p.port)
      .flatMap((line) => line.split(' '))
      .map((w): [string, number] => {
        if (w === p.poison) throw new RangeError(`poisoned word: ${w}`);
        return [w, 1];
      })
      .reduceByKey((a, b) => a + b)
      .foreachRDD((rdd) => void rdd.count());
  },
  { name: 'failing' },
);

/** A wordcount beside a second shuffle of the same words that no output reads: never started, the pool leaves it alone. */
export const dangling = defineJob(
  import.meta.url,
  (ssc, p: Params) => {
    const words = pairs(ssc, p.port);
    words.reduceByKey((a, b) => a + b, 2);
    words.reduceByKey((a, b) => a + b).foreachRDD((rdd) => void (record(p.run).words += rdd.values().fold(0, (a, b) => a + b)));
  },
  { name: 'dangling' },
);

/** A running mean per word, as a class instance: what a thread's combined pairs cannot carry. */
export class Mean {
  constructor(
    public sum = 0,
    public n = 0,
  ) {}
  add(v: number): Mean {
    return new Mean(this.sum + v, this.n + 1);
  }
  merge(o: Mean): Mean {
    return new Mean(this.sum + o.sum, this.n + o.n);
  }
}

export const means = defineJob(
  import.meta.url,
  (ssc, p: Params) => {
    pairs(ssc, p.port)
      .combineByKey(
        (v: number) => new Mean().add(v),
        (m: Mean, v: number) => m.add(v),
        (a: Mean, b: Mean) => a.merge(b),
      )
      .foreachRDD((rdd) => void (record(p.run).words += rdd.values().map((m) => m.n).fold(0, (a, b) => a + b)));
  },
  { name: 'means' },
);

/** A wordcount whose build fails in a thread started while DSTREAMS_TEST_FAIL_BUILD is 1 (a thread's env is a copy of the process's at its start). */
export const flaky = defineJob(
  import.meta.url,
  (ssc, p: Params) => {
    if (process.env.DSTREAMS_TEST_FAIL_BUILD === '1') throw new Error('this build fails on purpose');
    pairs(ssc, p.port)
      .reduceByKey((a, b) => a + b)
      .foreachRDD((rdd) => void (record(p.run).words += rdd.values().fold(0, (a, b) => a + b)));
  },
  { name: 'flaky' },
);

/** Each line's group of ones, as [line, group size]: groups of one key large, lines with a byte-order mark. */
export const lineGroups = defineJob(
  import.meta.url,
  (ssc, p: Params) => {
    ssc
      .socketTextStream('127.0.0.1', p.port)
      .map((l): [string, number] => [l, 1])
      .groupByKey()
      .foreachRDD((rdd) => {
        const r = record(p.run);
        const batch = rdd.mapValues((ones) => ones.length).collect();
        for (const [, n] of batch) r.words += n;
        if (batch.length > 0) r.batches.push(batch);
      });
  },
  { name: 'lineGroups' },
);

/** A point per word, grouped: a group holds class instances, which a thread's combined pairs cannot carry. */
export class Point {
  constructor(readonly x: number) {}
  norm(): number {
    return Math.abs(this.x);
  }
}

export const pointGroups = defineJob(
  import.meta.url,
  (ssc, p: Params) => {
    pairs(ssc, p.port)
      .mapValues((n) => new Point(n))
      .groupByKey()
      .foreachRDD((rdd) => void (record(p.run).words += rdd.values().map((ps) => ps.reduce((a, q) => a + q.norm(), 0)).fold(0, (a, b) => a + b)));
  },
  { name: 'pointGroups' },
);

/** A tag per word, a symbol, reduced per key: a combined value a thread's pairs cannot carry at all. */
export const symbolTags = defineJob(
  import.meta.url,
  (ssc, p: Params) => {
    pairs(ssc, p.port)
      .mapValues(() => Symbol.for('tag'))
      .reduceByKey((a) => a)
      .foreachRDD((rdd) => void (record(p.run).words += rdd.count()));
  },
  { name: 'symbolTags' },
);

/** A wordcount whose mapping of `poison` throws later, outside its task (setImmediate). */
export const throwsLater = defineJob(
  import.meta.url,
  (ssc, p: Params) => {
    ssc
      .socketTextStream('127.0.0.1', p.port)
      .flatMap((line) => line.split(' '))
      .map((w): [string, number] => {
        if (w === p.poison) {
          setImmediate(() => {
            throw new RangeError(`thrown later for: ${w}`);
          });
        }
        return [w, 1];
      })
      .reduceByKey((a, b) => a + b)
      .foreachRDD((rdd) => void rdd.count());
  },
  { name: 'throwsLater' },
);

/** How often the main thread ran each counted shuffle's mergeValue: 0 when it used the pool's result. */
export const mainThreadMerges = { counts: 0, groups: 0 };

/** Each word's count, by a combineByKey whose mergeValue counts its calls in the main thread. */
const countedCounts = (words: DStream<[string, number]>): DStream<[string, number]> =>
  words.combineByKey(
    (v: number) => v,
    (c: number, v: number) => {
      if (isMainThread) mainThreadMerges.counts++;
      return c + v;
    },
    (a: number, b: number) => a + b,
  );

/**
 * Counts that only state and a window (with an inverse) read — no output of their own, unlike
 * `state` and `window`: the shuffle's RDD is computed when the batch's state is, after the pool's
 * part of the batch. `last` is the state, `batches` each window.
 */
export const stateOnly = defineJob(
  import.meta.url,
  (ssc, p: Params) => {
    const counts = countedCounts(pairs(ssc, p.port));
    counts
      .updateStateByKey((vs: number[], s: number | undefined) => vs.reduce((a, b) => a + b, s ?? 0))
      .foreachRDD((rdd) => {
        const r = record(p.run);
        r.last = rdd.collect();
        r.words = r.last.reduce((n, kv) => n + kv[1], 0);
      });
    counts
      .reduceByKeyAndWindow((a: number, b: number) => a + b, (a: number, b: number) => a - b, Seconds(60))
      .foreachRDD((rdd) => void record(p.run).batches.push(rdd.collect()));
  },
  { name: 'stateOnly' },
);

/** Two shuffles of the same pairs, each read by an output: `batches` gets the counts, then the groups' sizes. */
export const twoShuffles = defineJob(
  import.meta.url,
  (ssc, p: Params) => {
    const words = pairs(ssc, p.port);
    countedCounts(words).foreachRDD((rdd) => {
      const r = record(p.run);
      const batch = rdd.glom().collect().flat();
      for (const [, n] of batch) r.words += n;
      r.batches.push(batch);
    });
    words
      .combineByKey(
        (v: number) => [v],
        (c: number[], v: number) => {
          if (isMainThread) mainThreadMerges.groups++;
          c.push(v);
          return c;
        },
        (a: number[], b: number[]) => a.concat(b),
      )
      .foreachRDD((rdd) => void record(p.run).batches.push(rdd.mapValues((ones) => ones.length).glom().collect().flat()));
  },
  { name: 'twoShuffles' },
);

/** A parse error of the job's own, with a name of its own. */
export class ParseError extends Error {
  constructor(
    message: string,
    readonly line: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ParseError';
  }
}

/**
 * A wordcount whose mapping of `poison` fails as `how` says: `dom` throws atob's DOMException
 * (InvalidCharacterError), `causeFn` an Error whose cause holds a function, `named` a ParseError
 * with a RangeError as its cause and a `code`, and `symbol` keys the word by a symbol (which a
 * thread's combined pairs cannot carry: DataCloneError).
 */
export const throwing = defineJob(
  import.meta.url,
  (ssc, p: Params) => {
    ssc
      .socketTextStream('127.0.0.1', p.port)
      .flatMap((line) => line.split(' '))
      .map((w): [string, number] => {
        if (w !== p.poison) return [w, 1];
        switch (p.how) {
          case 'dom':
            return [atob('%'), 1];
          case 'causeFn':
            throw new Error('outer failure', { cause: { retry() {} } });
          case 'named':
            throw Object.assign(new ParseError(`bad word: ${w}`, w, { cause: new RangeError('offset 7 out of range') }), { code: 'E_PARSE' });
          default:
            return [Symbol.for(w) as unknown as string, 1];
        }
      })
      .reduceByKey((a, b) => a + b)
      .foreachRDD((rdd) => void rdd.count());
  },
  { name: 'throwing' },
);
