import { RDD, type Push } from '../rdd/RDD.js';
import type { OffsetRange } from './OffsetRange.js';

/**
 * Spark's KafkaRDD: the records of a set of offset ranges, one partition per range (one per
 * Kafka topic-partition), each in offset order. `offsetRanges()` says exactly which records it
 * holds. Records are `[key, value]` as the stream's decoders made them (UTF-8 by default).
 *
 * A direct stream creates its batch's KafkaRDD when the batch is generated, with one partition
 * per topic-partition known then; the ranges are decided right after (the latest offsets are
 * looked up asynchronously) and the records read when the batch starts running, before any of
 * its output operations. Computing a partition before that is an error.
 */
export class KafkaRDD<K = string | null, V = string> extends RDD<[K, V]> {
  readonly numPartitions: number;
  private ranges: OffsetRange[] | undefined;
  private records: [K, V][][] | undefined;

  constructor(numPartitions: number, ranges?: readonly OffsetRange[], records?: [K, V][][]) {
    super();
    this.numPartitions = numPartitions;
    if (ranges) this.setRanges(ranges);
    if (records) this.setRecords(records);
  }

  /** @internal */
  setRanges(ranges: readonly OffsetRange[]): void {
    if (ranges.length !== this.numPartitions) {
      throw new Error(`KafkaRDD has ${this.numPartitions} partitions, got ${ranges.length} offset ranges`);
    }
    this.ranges = ranges.map((r) => ({ ...r }));
  }

  /** @internal */
  setRecords(records: [K, V][][]): void {
    if (records.length !== this.numPartitions) {
      throw new Error(`KafkaRDD has ${this.numPartitions} partitions, got records for ${records.length}`);
    }
    this.records = records;
  }

  /** Whether the records have been read. */
  get isLoaded(): boolean {
    return this.records !== undefined;
  }

  /** The offset range of each partition, in partition order (`untilOffset` exclusive). */
  offsetRanges(): OffsetRange[] {
    if (!this.ranges) throw new Error('the offset ranges of this batch have not been decided yet');
    return this.ranges.map((r) => ({ ...r }));
  }

  /** Records in the ranges (the RDD's count, known without reading: no compaction, no transaction markers assumed). */
  get rangeSize(): number {
    let n = 0;
    for (const r of this.ranges ?? []) n += r.untilOffset - r.fromOffset;
    return n;
  }

  protected compute(i: number, push: Push<[K, V]>): void {
    const recs = this.records;
    if (!recs) {
      throw new Error(
        this.ranges
          ? `the records of KafkaRDD ${JSON.stringify(this.ranges[i])} have not been read yet`
          : 'the offset ranges of this KafkaRDD have not been decided yet',
      );
    }
    const part = recs[i]!;
    for (let j = 0; j < part.length; j++) push(part[j]!);
  }

  override partition(i: number): [K, V][] {
    return this.isCached ? super.partition(i) : this.records ? this.records[i]!.slice() : super.partition(i);
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
    return `KafkaRDD[${(this.ranges ?? []).map((r) => `${r.topic}:${r.partition} [${r.fromOffset}, ${r.untilOffset})`).join(', ')}]`;
  }
}
