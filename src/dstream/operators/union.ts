import { RDD } from '../../rdd/RDD.js';
import { DStream } from '../DStream.js';
import { NaryDStream } from '../NaryDStream.js';
import { stream } from './args.js';

declare module '../DStream.js' {
  interface DStream<T> {
    /** Each batch holds this stream's partitions followed by `other`'s. */
    union(other: DStream<T>): DStream<T>;
  }
}

export class UnionDStream<T> extends NaryDStream<T> {
  constructor(parents: readonly DStream<T>[]) {
    super(parents as readonly DStream<unknown>[], 'union');
  }

  compute(time: number): RDD<T> | undefined {
    return RDD.unionAll(this.parentRDDs(time) as RDD<T>[]);
  }
}

DStream.prototype.union = function <T>(this: DStream<T>, other: DStream<T>): DStream<T> {
  return new UnionDStream([this, stream('union', other)]);
};
