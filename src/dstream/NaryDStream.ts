import type { RDD } from '../rdd/RDD.js';
import type { Duration } from '../util/duration.js';
import { DStream } from './DStream.js';

/** A stream computed from the RDDs of several parents at the same times (union, transform). */
export abstract class NaryDStream<U> extends DStream<U> {
  constructor(
    protected readonly parents: readonly DStream<unknown>[],
    private readonly op: string,
  ) {
    if (parents.length === 0) throw new Error(`${op} needs at least one stream`);
    super(parents[0]!.graph);
    const slide = parents[0]!.slideDuration;
    for (const p of parents) {
      if (p.graph !== this.graph) throw new Error(`cannot ${op} streams of different StreamingContexts`);
      if (p.slideDuration !== slide) {
        throw new Error(`cannot ${op} streams with different slide durations (${slide} ms and ${p.slideDuration} ms)`);
      }
    }
  }

  get dependencies(): readonly DStream<unknown>[] {
    return this.parents;
  }

  get slideDuration(): Duration {
    return this.parents[0]!.slideDuration;
  }

  /** Every parent's RDD of batch `time`; a parent with none then is an error, as in Spark. */
  protected parentRDDs(time: number): RDD<unknown>[] {
    return this.parents.map((p) => {
      const rdd = p.getOrCompute(time);
      if (!rdd) throw new Error(`${this.op}: stream ${p.kind} has no RDD at time ${time}`);
      return rdd;
    });
  }
}
