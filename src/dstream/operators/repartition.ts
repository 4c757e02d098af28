import { checkPartitions } from '../../rdd/checks.js';
import type { RDD } from '../../rdd/RDD.js';
import { DStream } from '../DStream.js';
import { UnaryDStream } from '../UnaryDStream.js';

declare module '../DStream.js' {
  interface DStream<T> {
    /** Each batch spread, in order, over `numPartitions` partitions. */
    repartition(numPartitions: number): DStream<T>;
  }
}

export class RepartitionedDStream<T> extends UnaryDStream<T, T> {
  constructor(
    parent: DStream<T>,
    private readonly numPartitions: number,
  ) {
    super(parent);
    checkPartitions(numPartitions, 'repartition');
  }

  compute(time: number): RDD<T> | undefined {
    return this.parent.getOrCompute(time)?.repartition(this.numPartitions);
  }
}

DStream.prototype.repartition = function <T>(this: DStream<T>, numPartitions: number): DStream<T> {
  return new RepartitionedDStream(this, numPartitions);
};
