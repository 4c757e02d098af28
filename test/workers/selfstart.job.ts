/** A job module that starts a context when a worker thread imports it (what the docs say not to do). */
import { isMainThread } from 'node:worker_threads';
import { defineJob } from '../../src/index.js';

export const selfStarting = defineJob(import.meta.url, (ssc, p: { port: number }) => {
  ssc
    .socketTextStream('127.0.0.1', p.port)
    .map((l): [string, number] => [l, 1])
    .reduceByKey((a, b) => a + b)
    .foreachRDD(() => undefined);
});

if (!isMainThread) await selfStarting.create({ batchDuration: 1000, workers: 2 }, { port: 1 }).start();
