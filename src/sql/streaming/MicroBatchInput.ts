/**
 * A query's source as an engine input: each engine batch is one micro-batch whose rows the
 * executor fetched before asking the engine to run it (sources read asynchronously, an input's
 * compute is synchronous). Its checkpoint `meta` is the query's offset and commit log in one:
 *
 * When things happen, for the micro-batch at engine time t (batchId = t / 1000 − 1):
 *  - before t: the executor decides the offsets (start, end] and the watermark, reads the rows
 *    and hands them over with `prepare`;
 *  - t generated: compute(t) gives the rows as the batch's RDD; the checkpoint writes
 *    `generatedPosition` right away — the batch's offsets and watermark as *pending* — so a
 *    crash during the batch re-runs exactly these offsets with the same batchId;
 *  - t completed (the sink wrote): `checkpointDelta(t)` commits end offset and the watermark
 *    after t; the pending entry is gone.
 * Before the first batch completed there is no batch record: `generatedPosition` then goes to
 * the start record (checkpoint/startRecord.ts), with the source's initial offset as `committed`,
 * so a restart starts where the first run did (a Kafka source at "latest" would not).
 */
import type { Checkpointable, SavedStreamCheckpoint, StreamCheckpoint } from '../../dstream/Checkpointable.js';
import type { DStreamGraph } from '../../dstream/DStreamGraph.js';
import { InputDStream } from '../../dstream/InputDStream.js';
import { RDD } from '../../rdd/RDD.js';
import type { Offset } from '../sources/Source.js';
import type { Row } from '../values.js';
import type { WatermarkPolicy, WatermarkState } from './WatermarkTracker.js';

/** What a micro-batch reads, decided before it runs. */
export interface PlannedBatch {
  time: number;
  start: Offset | undefined;
  end: Offset | undefined;
  /** The watermark the batch runs with (ms). */
  watermark: number;
  /** current_timestamp() in the batch: its trigger's time, kept for a re-run (absent in older checkpoints). */
  timestamp?: number;
}

/**
 * The input's checkpointed meta (v1). `operatorWatermarks` and `watermarkPolicy` came later as
 * optional fields: a checkpoint without them reads as every withWatermark unset and the "min"
 * policy (Spark's default for checkpoints that predate the conf), and an older dstreams ignores them.
 */
export interface MicroBatchPosition extends WatermarkState {
  v: 1;
  /** Offset after the last committed batch. */
  committed: Offset | undefined;
  /** Watermark after the last committed batch, and the one it ran with. */
  watermark: number;
  lastBatchWatermark: number;
  /** The policy the query first started with: a restart keeps it, whatever the session's conf says (Spark's offset log). */
  watermarkPolicy?: WatermarkPolicy;
  /** A batch generated and not committed (its offsets are re-read exactly on recovery). */
  pending?: PlannedBatch;
  /** Rows each append-mode limit has passed so far, in plan order (absent: none, or no limit). */
  limitCounts?: number[];
}

export class MicroBatchInput extends InputDStream<Row> implements Checkpointable {
  private readonly batches = new Map<number, { plan: PlannedBatch; rows: Row[]; limitCounts?: number[] }>();
  /** The state after the last committed batch. */
  position: MicroBatchPosition;
  /** Where the source starts when nothing is committed (its initialOffset, set before the engine starts). */
  initialOffset: Offset | undefined;
  /** Restored from a checkpoint taken while a batch was in flight. */
  recoveredPending: PlannedBatch | undefined;

  constructor(
    graph: DStreamGraph,
    /** The watermarks after batch `time` (the executor tracks event times as rows flow). */
    private readonly watermarkAfter: (time: number) => WatermarkState,
    watermarkPolicy: WatermarkPolicy,
  ) {
    super(graph);
    this.position = { v: 1, committed: undefined, watermark: 0, lastBatchWatermark: 0, watermarkPolicy };
  }

  override get kind(): string {
    return 'MicroBatchInput';
  }

  prepare(plan: PlannedBatch, rows: Row[]): void {
    this.batches.set(plan.time, { plan, rows });
  }

  /** The limits' counts after batch `time`, recorded by its output; committed with the batch. */
  recordLimitCounts(time: number, counts: number[]): void {
    const b = this.batches.get(time);
    if (b) b.limitCounts = counts;
  }

  planned(time: number): PlannedBatch | undefined {
    return this.batches.get(time)?.plan;
  }

  compute(time: number): RDD<Row> {
    const b = this.batches.get(time);
    const rows = b?.rows ?? [];
    this.reportRecords(time, rows.length);
    return RDD.fromPartitions([rows]);
  }

  /** After batch `time` completed: its end is committed (also without a checkpoint). */
  committedAfter(time: number): MicroBatchPosition {
    const b = this.batches.get(time);
    if (!b) return this.position;
    return {
      ...this.watermarkAfter(time),
      v: 1,
      committed: b.plan.end,
      lastBatchWatermark: b.plan.watermark,
      watermarkPolicy: this.position.watermarkPolicy,
      limitCounts: b.limitCounts ?? this.position.limitCounts,
    };
  }

  /** Called by the executor once batch `time` completed. */
  commit(time: number): void {
    this.position = this.committedAfter(time);
    this.batches.delete(time);
    if (this.recoveredPending?.time === time) this.recoveredPending = undefined;
  }

  checkpointDelta(time: number): StreamCheckpoint {
    return { meta: this.committedAfter(time) };
  }

  generatedPosition(): unknown {
    let pending: PlannedBatch | undefined;
    for (const b of this.batches.values()) pending = b.plan;
    // Before the first commit: where the source started (a restart then starts there too, not at a new "latest").
    return { ...this.position, committed: this.position.committed ?? this.initialOffset, pending };
  }

  restoreCheckpoint(saved: SavedStreamCheckpoint): void {
    const meta = saved.meta as MicroBatchPosition | undefined;
    if (meta === undefined) return;
    if (meta.v !== 1) throw new Error(`structured streaming checkpoint: unknown format version ${String(meta.v)}`);
    this.position = {
      v: 1,
      committed: meta.committed,
      watermark: meta.watermark,
      lastBatchWatermark: meta.lastBatchWatermark,
      operatorWatermarks: meta.operatorWatermarks,
      watermarkPolicy: meta.watermarkPolicy ?? 'min',
      limitCounts: meta.limitCounts,
    };
    if (meta.pending && meta.pending.time > saved.time) this.recoveredPending = meta.pending;
  }
}
