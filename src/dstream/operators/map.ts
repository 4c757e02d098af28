import type { RDD } from '../../rdd/RDD.js';
import { DStream } from '../DStream.js';
import { UnaryDStream } from '../UnaryDStream.js';
import { fn } from './args.js';

declare module '../DStream.js' {
  interface DStream<T> {
    map<U>(f: (t: T) => U): DStream<U>;
  }
}

export class MappedDStream<T, U> extends UnaryDStream<T, U> {
  constructor(
    parent: DStream<T>,
    private readonly f: (t: T) => U,
  ) {
    super(parent);
  }

  compute(time: number): RDD<U> | undefined {
    return this.parent.getOrCompute(time)?.map(this.f);
  }
}

DStream.prototype.map = function <T, U>(this: DStream<T>, f: (t: T) => U): DStream<U> {
  return new MappedDStream(this, fn('map', f));
};
