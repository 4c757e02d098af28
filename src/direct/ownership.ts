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

export interface PartitionOwnership {
  /** The stream's topics join the group's subscription (called once, before the context starts them). */
  register(topics: readonly string[], params: ResolvedKafkaParams): void;
  /**
   * The partitions batch `time` reads (asked when the batch is generated): `"topic:partition"` →
   * the offset a partition starts from when the stream does not read it yet.
   */
  owned(topics: readonly string[], time: number): ReadonlyMap<string, number>;
  /** The ranges batch `time` reads, decided before they are read. */
  rangesDecided(time: number, ranges: readonly OffsetRange[]): void;
}
