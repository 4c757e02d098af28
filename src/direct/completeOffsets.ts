/**
 * fromOffsets that name every partition of their topics the job has read: a sink's stored
 * offsets (exactlyonce's storedFromOffsets), written with every batch's ranges, empty ones too.
 * A partition of those topics they do not name was added after the last batch the sink
 * committed, so the stream starts it at its log start, as it starts a partition added to a topic
 * its checkpoint records (kafkaCheckpoint.ts) — not where auto.offset.reset says: `latest` lost
 * the records the partition held, and the sink then stored its end as read.
 *
 * A mark on the object itself: the offsets reach createDirectStream through the job's own code.
 */
const complete = new WeakSet<object>();

/** Marks `offsets` as naming every partition of their topics the job has read; returns them. */
export function namingEveryPartitionRead<T extends object>(offsets: T): T {
  complete.add(offsets);
  return offsets;
}

export function namesEveryPartitionRead(offsets: unknown): boolean {
  return typeof offsets === 'object' && offsets !== null && complete.has(offsets);
}
