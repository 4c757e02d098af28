/**
 * What a direct Kafka stream of a scaled-out job (a context with an `applicationId`) asks of
 * the copy's group membership: which partitions it owns now and where a newly gained one
 * starts. The scale-out coordinator (scaleout/ScaleOut.ts) implements it; a stream without one
 * reads every partition, as before.
 *
 * When things happen: a batch generated reads exactly the partitions `owned` returned then (a
 * partition gained is owned only once its state is restored; one lost is dropped from the next
 * batch generated on); its ranges, once decided, are handed back with `rangesDecided` so the
 * coordinator commits them with the batch's transaction.
 */
import type { OffsetRange } from '../kafka/OffsetRange.js';
import type { ResolvedKafkaParams } from '../kafka/params.js';

/** A partition a copy owns: where it starts, and which gain of it this is (a new number each time the copy gains it). */
export interface OwnedPartition {
  start: number;
  gain: number;
}

export interface PartitionOwnership {
  /** The stream's topics join the group's subscription (called once, before the context starts them). */
  register(topics: readonly string[], params: ResolvedKafkaParams): void;
  /**
   * The partitions batch `time` reads (asked when the batch is generated): `"topic:partition"` →
   * where the partition starts when the stream does not read it yet, or reads it from an earlier
   * gain (lost and gained again between two batches generated: it starts over from there).
   */
  owned(topics: readonly string[], time: number): ReadonlyMap<string, OwnedPartition>;
  /** The ranges batch `time` reads, decided before they are read. */
  rangesDecided(time: number, ranges: readonly OffsetRange[]): void;
}
