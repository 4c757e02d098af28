import { checkPartitions } from '../../rdd/checks.js';
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
    /** The operation the user called (reduceByKey, groupByKey, …): a batch's errors name it. */
    readonly operation = 'combineByKey',
  ) {
    super(parent);
    // The operations that make one (reduceByKey, groupByKey, …) checked it, under their names.
    checkPartitions(numPartitions, operation);
  }

  /**
   * Each batch's table is this stream's own: let go when forgotten. An RDD made long before its
   * batch ran (a catch-up generates every due batch first) is in V8's old space by then, and
   * would keep its table alive through every young collection until the next full one.
   */
  protected override forgotten(rdd: RDD<[K, C]>): void {
    rdd.release();
  }

  compute(time: number): RDD<[K, C]> | undefined {
    return this.parent
      .getOrCompute(time)
      ?.combineByKeyAs(this.operation, this.create, this.mergeValue, this.mergeCombiners, this.numPartitions);
  }
}
