import type { RDD } from '../rdd/RDD.js';
import type { Duration } from '../util/duration.js';
import { DStream } from './DStream.js';
import type { DStreamGraph, InputBatchFacts, InputStream } from './DStreamGraph.js';

/**
 * A stream with no parents: it turns what arrived from outside into one RDD per batch.
 * Subclasses implement `compute(time)` and, when they hold resources, `start`/`stop`.
 */
export abstract class InputDStream<T> extends DStream<T> implements InputStream {
  constructor(graph: DStreamGraph) {
    super(graph);
    graph.addInput(this as InputDStream<unknown>);
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [];
  }

  get slideDuration(): Duration {
    return this.graph.batchDuration;
  }

  /**
   * A recovered job never cuts input again for the batches its checkpoint already completed, nor
   * for the batches it skipped (skipMissedBatches): a stateful stream or a window catching up
   * through them must not take their data.
   */
  override isTimeValid(time: number): boolean {
    return (
      super.isTimeValid(time) &&
      !(this.graph.recoveredTime !== undefined && time <= this.graph.recoveredTime) &&
      !this.graph.isSkipped(time)
    );
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  /**
   * Tell listeners how many records this input contributed to batch `time`, optionally from
   * where (`metadata`), and, when it knows them, their bytes and the backlog behind them.
   */
  protected reportRecords(time: number, records: number, metadata?: Readonly<Record<string, unknown>>, facts?: InputBatchFacts): void {
    this.graph.reportInputRecords(time, this.id, records, metadata, facts);
  }

  /** Record the count of an RDD whose size is known without computing anything else. */
  protected counted(time: number, rdd: RDD<T>): RDD<T> {
    this.reportRecords(time, rdd.count());
    return rdd;
  }
}
