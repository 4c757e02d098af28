import type { RDD } from '../../rdd/RDD.js';
import { DStream } from '../DStream.js';
import { NaryDStream } from '../NaryDStream.js';
import { fn, stream } from './args.js';

declare module '../DStream.js' {
  interface DStream<T> {
    /** Each batch's RDD replaced by `f(rdd, time)`: any RDD operation, per batch. */
    transform<U>(f: (rdd: RDD<T>, time: number) => RDD<U>): DStream<U>;
    /** Each batch made from this stream's and `other`'s RDDs of the same time. */
    transformWith<U, V>(other: DStream<U>, f: (a: RDD<T>, b: RDD<U>, time: number) => RDD<V>): DStream<V>;
  }
}

/**
 * Spark's TransformedDStream: the RDDs of several parents at one time, combined by a function.
 * `operation`: the one the user called (transformWith, join, …), which its errors name.
 */
export class TransformedDStream<U> extends NaryDStream<U> {
  constructor(
    parents: readonly DStream<unknown>[],
    private readonly f: (rdds: RDD<unknown>[], time: number) => RDD<U>,
    operation = 'transform',
  ) {
    super(parents, operation);
  }

  compute(time: number): RDD<U> | undefined {
    const out = this.f(this.parentRDDs(time), time);
    if (out === null || typeof out !== 'object' || typeof (out as RDD<U>).iteratePartition !== 'function') {
      throw new TypeError(`the function given to transform must return an RDD, got ${String(out)}`);
    }
    return out;
  }
}

DStream.prototype.transform = function <T, U>(this: DStream<T>, f: (rdd: RDD<T>, time: number) => RDD<U>): DStream<U> {
  fn('transform', f);
  return new TransformedDStream<U>([this], (rdds, time) => f(rdds[0] as RDD<T>, time));
};

DStream.prototype.transformWith = function <T, U, V>(
  this: DStream<T>,
  other: DStream<U>,
  f: (a: RDD<T>, b: RDD<U>, time: number) => RDD<V>,
): DStream<V> {
  fn('transformWith', f);
  return new TransformedDStream<V>(
    [this, stream('transformWith', other) as DStream<unknown>],
    (rdds, time) => f(rdds[0] as RDD<T>, rdds[1] as RDD<U>, time),
    'transformWith',
  );
};
