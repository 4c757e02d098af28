import type { RDD } from '../../rdd/RDD.js';
import type { DStream } from '../DStream.js';
import { UnaryDStream } from '../UnaryDStream.js';

/** Spark's ShuffledDStream: each batch combined by key (reduceByKey and groupByKey are cases of it). */
export class ShuffledDStream<K, V, C> extends UnaryDStream<[K, V], [K, C]> {
  constructor(
    parent: DStream<[K, V]>,
    readonly create: (v: V) => C,
    readonly mergeValue: (c: C, v: V) => C,
    readonly mergeCombiners: (a: C, b: C) => C,
    readonly numPartitions: number,
  ) {
    super(parent);
    if (!Number.isInteger(numPartitions) || numPartitions < 1) {
      throw new RangeError(`numPartitions must be a positive integer, got ${numPartitions}`);
    }
  }

  compute(time: number): RDD<[K, C]> | undefined {
    return this.parent
      .getOrCompute(time)
      ?.combineByKey(this.create, this.mergeValue, this.mergeCombiners, this.numPartitions);
  }
}
