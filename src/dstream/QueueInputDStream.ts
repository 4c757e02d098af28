import { RDD, sliceArray } from '../rdd/RDD.js';
import type { DStreamGraph } from './DStreamGraph.js';
import { InputDStream } from './InputDStream.js';

/**
 * Spark's queueStream: each batch takes the next element of a queue the caller may keep
 * filling (or, with `oneAtATime` false, all of them); an empty queue yields `defaultRDD`.
 *
 * When things happen: an array is taken from the queue when its batch is generated and cut into
 * partitions when the batch first reads it, as Spark's `parallelize` reads its collection
 * lazily. Batches generated ahead (a clock that jumps, a catch-up) then hold the caller's array
 * rather than copies of it that would outlive many collections of the young generation.
 */
export class QueueInputDStream<T> extends InputDStream<T> {
  constructor(
    graph: DStreamGraph,
    private readonly queue: Array<T[] | RDD<T>>,
    private readonly oneAtATime: boolean,
    private readonly defaultRDD: RDD<T> | undefined,
  ) {
    super(graph);
  }

  private toRDD(item: T[] | RDD<T>): RDD<T> {
    // Cached so that counting its records for listeners does not run the user's functions twice.
    if (item instanceof RDD) return item.cache();
    if (!Array.isArray(item)) {
      throw new TypeError(`queueStream elements must be arrays or RDDs, got ${typeof item}`);
    }
    const n = this.graph.defaultParallelism;
    return RDD.deferred(n, () => ({ size: item.length, partitions: () => sliceArray(item, n) }));
  }

  compute(time: number): RDD<T> {
    let rdd: RDD<T>;
    if (this.queue.length === 0) {
      rdd = this.defaultRDD ?? RDD.empty<T>();
    } else if (this.oneAtATime) {
      rdd = this.toRDD(this.queue.shift()!);
    } else {
      rdd = RDD.unionAll(this.queue.splice(0, this.queue.length).map((item) => this.toRDD(item)));
    }
    return this.counted(time, rdd);
  }
}
