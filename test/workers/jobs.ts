/**
 * Job modules for the worker-pool tests: each definition builds the same graph in the main
 * thread and in every worker thread. Outputs run only in the main thread; they put what they see
 * into `seen`, keyed by the run's id (a parameter), for the test to read.
 */
import { defineJob, Seconds, type DStream, type StreamingContext } from '../../src/index.js';

export interface Params {
  port: number;
  run: string;
  /** `failing` only: the word whose mapping throws. */
  poison?: string;
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
