import { RDD } from '../../rdd/RDD.js';
import { DStream } from '../DStream.js';
import { UnaryDStream } from '../UnaryDStream.js';

declare module '../DStream.js' {
  interface DStream<T> {
    /** One element per batch: how many elements the batch has (`[0]` for an empty batch). */
    count(): DStream<number>;
  }
}

export class CountedDStream<T> extends UnaryDStream<T, number> {
  compute(time: number): RDD<number> | undefined {
    const rdd = this.parent.getOrCompute(time);
    return rdd && RDD.deferred(1, () => [[rdd.count()]]);
  }
}

DStream.prototype.count = function <T>(this: DStream<T>): DStream<number> {
  return new CountedDStream(this);
};
