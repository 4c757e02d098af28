import type { RDD } from '../../rdd/RDD.js';
import { DStream } from '../DStream.js';
import { UnaryDStream } from '../UnaryDStream.js';

declare module '../DStream.js' {
  interface DStream<T> {
    /** Each partition of each batch as one array. */
    glom(): DStream<T[]>;
  }
}

export class GlommedDStream<T> extends UnaryDStream<T, T[]> {
  compute(time: number): RDD<T[]> | undefined {
    return this.parent.getOrCompute(time)?.glom();
  }
}

DStream.prototype.glom = function <T>(this: DStream<T>): DStream<T[]> {
  return new GlommedDStream(this);
};
