import { RDD } from '../../rdd/RDD.js';
import { DStream } from '../DStream.js';
import { UnaryDStream } from '../UnaryDStream.js';
import { fn } from './args.js';

declare module '../DStream.js' {
  interface DStream<T> {
    /** One element per batch: the batch reduced with `f` (nothing for an empty batch). */
    reduce(f: (a: T, b: T) => T): DStream<T>;
  }
}

export class ReducedDStream<T> extends UnaryDStream<T, T> {
  constructor(
    parent: DStream<T>,
    private readonly f: (a: T, b: T) => T,
  ) {
    super(parent);
  }

  compute(time: number): RDD<T> | undefined {
    const rdd = this.parent.getOrCompute(time);
    // One pass (Spark: reduceByKey into one partition): the batch is read once.
    return rdd && RDD.deferred(1, () => [rdd.reduceAll(this.f)]);
  }
}

DStream.prototype.reduce = function <T>(this: DStream<T>, f: (a: T, b: T) => T): DStream<T> {
  return new ReducedDStream(this, fn('reduce', f));
};
