/** A job module whose build wires the same kinds of stream in the same order differently in a pool thread: it counts the upper-cased lines there. */
import { isMainThread } from 'node:worker_threads';
import { defineJob } from '../../src/index.js';

export const job = defineJob(import.meta.url, (ssc) => {
  const lines = ssc.socketTextStream('127.0.0.1', 1);
  const lower = lines.map((l) => l.toLowerCase());
  const upper = lines.map((l) => l.toUpperCase());
  (isMainThread ? lower : upper)
    .map((w): [string, number] => [w, 1])
    .reduceByKey((a, b) => a + b)
    .foreachRDD(() => undefined);
  upper.foreachRDD(() => undefined);
  lower.foreachRDD(() => undefined);
});
