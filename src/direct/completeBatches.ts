import type { CompletedBatchInfo } from '../context/StreamingListener.js';
import type { DirectRateController } from '../rate/index.js';

/** The hooks a direct stream needs from its context's scheduler (ssc.addBatchHooks). */
export interface DirectBatchHooks {
  onBatchGenerated(time: number): Promise<void>;
  onBatchCompleted(time: number, info: CompletedBatchInfo): void;
}

/** What both direct streams keep per batch that completion needs. */
export interface CompletableBatch {
  /** The batch's RDD: its records are counted only if they were read. */
  rdd: { readonly isLoaded: boolean; count(): number };
  /** Undefined while the batch's ranges are not decided yet. */
  ranges: readonly unknown[] | undefined;
  bytes?: number;
  cap?: number;
}

/**
 * The direct streams' batch completion: every batch up to `time` is done (batches complete in
 * order), so each decided one has its ranges committed to the stream's position (`commit`) and is
 * forgotten; then the rate controller learns how many records the batch at `time` held, in how
 * long, and under which cap.
 */
export function completeBatches<E extends CompletableBatch>(
  batches: Map<number, E>,
  time: number,
  info: CompletedBatchInfo,
  rate: DirectRateController,
  commit: (entry: E) => void,
): void {
  let done: E | undefined;
  for (const [t, e] of [...batches]) {
    if (t > time) continue;
    if (e.ranges) {
      commit(e);
      if (t === time) done = e;
    }
    batches.delete(t);
  }
  const records = done?.rdd.isLoaded ? done.rdd.count() : 0;
  rate.onBatchCompleted(
    info.processingEndTime ?? Date.now(),
    records,
    info.processingDelay,
    info.schedulingDelay,
    done?.bytes,
    done?.cap,
  );
}
