import type { RDD } from '../../rdd/RDD.js';
import { DStream } from '../DStream.js';
import { UnaryDStream } from '../UnaryDStream.js';
import { fn } from './args.js';

declare module '../DStream.js' {
  interface DStream<T> {
    flatMap<U>(f: (t: T) => Iterable<U>): DStream<U>;
  }
}

export class FlatMappedDStream<T, U> extends UnaryDStream<T, U> {
  constructor(
    parent: DStream<T>,
    private readonly f: (t: T) => Iterable<U>,
  ) {
    super(parent);
  }

  compute(time: number): RDD<U> | undefined {
    return this.parent.getOrCompute(time)?.flatMap(this.f);
  }
}

DStream.prototype.flatMap = function <T, U>(this: DStream<T>, f: (t: T) => Iterable<U>): DStream<U> {
  return new FlatMappedDStream(this, fn('flatMap', f));
};
