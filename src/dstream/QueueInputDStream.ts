import { RDD } from '../rdd/RDD.js';
import type { DStreamGraph } from './DStreamGraph.js';
import { InputDStream } from './InputDStream.js';

/**
 * Spark's queueStream: each batch takes the next element of a queue the caller may keep
 * filling (or, with `oneAtATime` false, all of them); an empty queue yields `defaultRDD`.
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
    return RDD.fromArray(item, this.graph.defaultParallelism);
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
