import type { RDD } from '../../rdd/RDD.js';
import { DStream } from '../DStream.js';
import { UnaryDStream } from '../UnaryDStream.js';
import { fn } from './args.js';

declare module '../DStream.js' {
  interface DStream<T> {
    filter(f: (t: T) => boolean): DStream<T>;
  }
}

export class FilteredDStream<T> extends UnaryDStream<T, T> {
  constructor(
    parent: DStream<T>,
    private readonly f: (t: T) => boolean,
  ) {
    super(parent);
  }

  compute(time: number): RDD<T> | undefined {
    return this.parent.getOrCompute(time)?.filter(this.f);
  }
}

DStream.prototype.filter = function <T>(this: DStream<T>, f: (t: T) => boolean): DStream<T> {
  return new FilteredDStream(this, fn('filter', f));
};
