import { DStream } from '../DStream.js';
import { partitionsOf } from './args.js';

declare module '../DStream.js' {
  interface DStream<T> {
    /** Per batch, each distinct element with how often it occurs. */
    countByValue(numPartitions?: number): DStream<[T, number]>;
  }
}

// Spark builds it from map and reduceByKey; so do we.
DStream.prototype.countByValue = function <T>(this: DStream<T>, numPartitions?: number): DStream<[T, number]> {
  const n = partitionsOf('countByValue', this as DStream<unknown>, numPartitions);
  return this.map((t): [T, number] => [t, 1]).reduceByKey((a, b) => a + b, n);
};
