/**
 * The netcat wordcount as a job module (docs/jobs.md), for the benches that run it on worker
 * threads: socketTextStream → flatMap(split) → map([w, 1]) → reduceByKey, each batch's counts
 * added to running totals. The totals live in this module in the main thread (`progress`).
 */
import { defineJob } from '../../src/index.js';

export const progress = { words: 0, batches: 0, totals: new Map<string, number>() };

export const job = defineJob(import.meta.url, (ssc, p: { host: string; port: number }) => {
  ssc
    .socketTextStream(p.host, p.port)
    .flatMap((line) => line.split(' '))
    .map((w): [string, number] => [w, 1])
    .reduceByKey((a, b) => a + b)
    .foreachRDD((rdd) => {
      progress.batches++;
      rdd.foreach(([w, n]) => {
        progress.totals.set(w, (progress.totals.get(w) ?? 0) + n);
        progress.words += n;
      });
    });
});
