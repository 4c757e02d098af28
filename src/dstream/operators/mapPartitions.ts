import type { RDD } from '../../rdd/RDD.js';
import { DStream } from '../DStream.js';
import { UnaryDStream } from '../UnaryDStream.js';
import { fn } from './args.js';

declare module '../DStream.js' {
  interface DStream<T> {
    mapPartitions<U>(f: (it: Iterable<T>) => Iterable<U>): DStream<U>;
  }
}

export class MapPartitionedDStream<T, U> extends UnaryDStream<T, U> {
  constructor(
    parent: DStream<T>,
    private readonly f: (it: Iterable<T>) => Iterable<U>,
  ) {
    super(parent);
  }

  compute(time: number): RDD<U> | undefined {
    return this.parent.getOrCompute(time)?.mapPartitions(this.f);
  }
}

DStream.prototype.mapPartitions = function <T, U>(this: DStream<T>, f: (it: Iterable<T>) => Iterable<U>): DStream<U> {
  return new MapPartitionedDStream(this, fn('mapPartitions', f));
};
