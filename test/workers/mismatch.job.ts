/** Job modules that cannot run on the pool: a build that depends on the thread, and a definition not exported. */
import { isMainThread } from 'node:worker_threads';
import { defineJob } from '../../src/index.js';

export const job = defineJob(import.meta.url, (ssc) => {
  const lines = ssc.socketTextStream('127.0.0.1', 1);
  const words = isMainThread ? lines.flatMap((l) => l.split(' ')) : lines.filter(() => true);
  words.map((w): [string, number] => [w, 1]).reduceByKey((a, b) => a + b).foreachRDD(() => undefined);
});

/** Not exported: a thread importing this module cannot find it. */
const hidden = defineJob(
  import.meta.url,
  (ssc) => void ssc.socketTextStream('127.0.0.1', 1).foreachRDD(() => undefined),
  { name: 'hidden' },
);
export const createHidden = (workers: number) => hidden.create({ batchDuration: 100, workers });
