/** A job whose build differs in a worker thread only when its parameters say so (a released pool's rebuild). */
import { isMainThread } from 'node:worker_threads';
import { defineJob } from '../../src/index.js';

export const byParams = defineJob(import.meta.url, (ssc, p: { differ: boolean }) => {
  const lines = ssc.socketTextStream('127.0.0.1', 1);
  const words = isMainThread || !p.differ ? lines.flatMap((l) => l.split(' ')) : lines.filter(() => true);
  words.map((w): [string, number] => [w, 1]).reduceByKey((a, b) => a + b).foreachRDD(() => undefined);
});
