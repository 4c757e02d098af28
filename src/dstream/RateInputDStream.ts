import { RDD } from '../rdd/RDD.js';
import type { DStreamGraph } from './DStreamGraph.js';
import { InputDStream } from './InputDStream.js';

export interface RateStreamOptions<T> {
  /** Records per batch (default 10). */
  rowsPerBatch?: number;
  /**
   * Record `index` of the batch at `time` (default: the record's sequence number since the epoch
   * of batch numbering, `time / batchDuration * rowsPerBatch + index`).
   */
  generate?: (time: number, index: number, batchDuration: number) => T;
}

/**
 * A replayable input, like Structured Streaming's `rate` source: a batch's records are a pure
 * function of its time, so a job recovered from a checkpoint sees exactly what it saw before.
 */
export class RateInputDStream<T> extends InputDStream<T> {
  private readonly rowsPerBatch: number;
  private readonly generate: (time: number, index: number, batchDuration: number) => T;

  constructor(graph: DStreamGraph, options: RateStreamOptions<T> = {}) {
    super(graph);
    this.rowsPerBatch = options.rowsPerBatch ?? 10;
    if (!Number.isInteger(this.rowsPerBatch) || this.rowsPerBatch < 0) {
      throw new RangeError(`rowsPerBatch must be a non-negative integer, got ${options.rowsPerBatch}`);
    }
    this.generate =
      options.generate ??
      ((time, index, batch) => ((time / batch) * this.rowsPerBatch + index) as unknown as T);
  }

  compute(time: number): RDD<T> {
    const batch = this.graph.batchDuration;
    const n = this.rowsPerBatch;
    const gen = this.generate;
    const rdd = RDD.deferred(this.graph.defaultParallelism, () => {
      const rows: T[] = [];
      for (let i = 0; i < n; i++) rows.push(gen(time, i, batch));
      return RDD.fromArray(rows, this.graph.defaultParallelism).glom().collect();
    });
    this.reportRecords(time, n);
    return rdd;
  }
}
