import { RDD, type Push } from '../rdd/RDD.js';

/**
 * The records of one shard a batch of a direct Kinesis stream consumes (Spark's
 * SequenceNumberRange): from `fromSeqNumber` to `toSeqNumber`, both included, `recordCount`
 * records. A shard that gave nothing to the batch has a range with recordCount 0 and no numbers.
 */
export interface SequenceNumberRange {
  streamName: string;
  shardId: string;
  fromSeqNumber?: string;
  toSeqNumber?: string;
  recordCount: number;
}

/**
 * Spark's KinesisBackedBlockRDD for the direct stream: one partition per shard the batch reads,
 * each in sequence-number order. Its ranges are decided — by reading — before the batch is
 * computed, so `sequenceNumberRanges()` works in transform and foreachRDD; the records are
 * decoded when the batch starts running.
 */
export class KinesisRDD<T> extends RDD<T> {
  readonly numPartitions: number;
  private ranges: SequenceNumberRange[] | undefined;
  private records: T[][] | undefined;

  constructor(numPartitions: number) {
    super();
    this.numPartitions = numPartitions;
  }

  /** @internal */
  setRanges(ranges: readonly SequenceNumberRange[]): void {
    if (ranges.length !== this.numPartitions) throw new Error(`KinesisRDD has ${this.numPartitions} partitions, got ${ranges.length} ranges`);
    this.ranges = ranges.map((r) => ({ ...r }));
  }

  /** @internal */
  setRecords(records: T[][]): void {
    if (records.length !== this.numPartitions) throw new Error(`KinesisRDD has ${this.numPartitions} partitions, got ${records.length} record lists`);
    this.records = records;
  }

  /** Records in the ranges (the RDD's count, known before the records are decoded). */
  get rangeSize(): number {
    let n = 0;
    for (const r of this.ranges ?? []) n += r.recordCount;
    return n;
  }

  get isLoaded(): boolean {
    return this.records !== undefined;
  }

  /** The range of each partition, in partition order. */
  sequenceNumberRanges(): SequenceNumberRange[] {
    if (!this.ranges) throw new Error('the sequence number ranges of this batch have not been decided yet');
    return this.ranges.map((r) => ({ ...r }));
  }

  protected compute(i: number, push: Push<T>): void {
    if (!this.records) throw new Error('the records of this KinesisRDD have not been read yet');
    const part = this.records[i]!;
    for (let j = 0; j < part.length; j++) push(part[j]!);
  }

  override count(): number {
    if (this.records && !this.isCached) {
      let n = 0;
      for (const p of this.records) n += p.length;
      return n;
    }
    return super.count();
  }

  override toString(): string {
    return `KinesisRDD[${(this.ranges ?? []).map((r) => `${r.shardId} ${r.recordCount ? `[${r.fromSeqNumber}, ${r.toSeqNumber}]` : '(none)'}`).join(', ')}]`;
  }
}
