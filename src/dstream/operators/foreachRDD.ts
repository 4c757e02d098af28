import type { RDD } from '../../rdd/RDD.js';
import type { Duration } from '../../util/duration.js';
import { DStream } from '../DStream.js';
import type { Job, OutputStream } from '../DStreamGraph.js';
import { fn } from './args.js';

export type ForeachFunction<T> = (rdd: RDD<T>, time: number) => void | Promise<void>;

declare module '../DStream.js' {
  interface DStream<T> {
    /** Run `f` on every RDD of this stream; a returned promise is awaited before the batch completes. */
    foreachRDD(f: ForeachFunction<T>): void;
  }
}

/** Spark's ForEachDStream: an output operation; each batch with an RDD becomes a job running `f`. */
export class ForEachDStream<T> extends DStream<T> implements OutputStream {
  constructor(
    private readonly parent: DStream<T>,
    private readonly f: ForeachFunction<T>,
    readonly operationName = 'foreachRDD',
  ) {
    super(parent.graph);
    parent.graph.addOutput(this as ForEachDStream<unknown>);
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  compute(time: number): RDD<T> | undefined {
    return this.parent.getOrCompute(time);
  }

  generateJob(time: number): Job | undefined {
    const rdd = this.parent.getOrCompute(time);
    if (!rdd) return undefined;
    const f = this.f;
    return { outputId: this.id, name: this.operationName, time, run: () => f(rdd, time) };
  }
}

DStream.prototype.foreachRDD = function <T>(this: DStream<T>, f: ForeachFunction<T>): void {
  new ForEachDStream(this, fn('foreachRDD', f));
};
