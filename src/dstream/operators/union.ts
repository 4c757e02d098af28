import { RDD } from '../../rdd/RDD.js';
import type { Duration } from '../../util/duration.js';
import { DStream } from '../DStream.js';

declare module '../DStream.js' {
  interface DStream<T> {
    /** Each batch holds this stream's partitions followed by `other`'s. */
    union(other: DStream<T>): DStream<T>;
  }
}

export class UnionDStream<T> extends DStream<T> {
  constructor(private readonly parents: readonly DStream<T>[]) {
    if (parents.length === 0) throw new Error('union needs at least one stream');
    super(parents[0]!.graph);
    for (const p of parents) {
      if (p.graph !== this.graph) throw new Error('cannot union streams of different StreamingContexts');
      if (p.slideDuration !== parents[0]!.slideDuration) {
        throw new Error(
          `cannot union streams with different slide durations (${parents[0]!.slideDuration} ms and ${p.slideDuration} ms)`,
        );
      }
    }
  }

  get dependencies(): readonly DStream<unknown>[] {
    return this.parents;
  }

  get slideDuration(): Duration {
    return this.parents[0]!.slideDuration;
  }

  compute(time: number): RDD<T> | undefined {
    const rdds: RDD<T>[] = [];
    for (const p of this.parents) {
      const rdd = p.getOrCompute(time);
      if (!rdd) throw new Error(`union: stream ${p.kind} has no RDD at time ${time}`);
      rdds.push(rdd);
    }
    return RDD.unionAll(rdds);
  }
}

DStream.prototype.union = function <T>(this: DStream<T>, other: DStream<T>): DStream<T> {
  return new UnionDStream([this, other]);
};
