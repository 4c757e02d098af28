/**
 * A changelog partition as compaction leaves it: each record key's latest value (a tombstone
 * removes the key), up to an offset. Restores and standby replicas read changelogs this way, so
 * a standby's copy of a partition is exactly the prefix a restore would have read: a gained task
 * with a standby reads only the records after it (the tail).
 */
import type { KafkaClient } from '../kafka/client.js';

export interface CompactedPartition {
  /** The offset after the last record folded in. */
  end: number;
  /** Record key → latest value (JSON text). */
  entries: Map<string, string>;
  /** Records the last read took from Kafka (a standby's catch-up, or a restore's tail). */
  read: number;
}

/**
 * Reads partitions `tasks` of `topic` to their end (read committed), each from the end of its
 * `base` copy (taken over and extended: the caller gives it up) or else from its start.
 */
export async function readCompacted(
  client: KafkaClient,
  topic: string,
  tasks: readonly number[],
  base: ReadonlyMap<number, CompactedPartition> = new Map(),
): Promise<Map<number, CompactedPartition>> {
  const out = new Map<number, CompactedPartition>();
  if (tasks.length === 0) return out;
  const bounds = (await client.topicBounds([topic])).filter((b) => tasks.includes(b.partition));
  const ranges = bounds.map((b) => {
    const warm = base.get(b.partition);
    // A base behind the log's start (records deleted since) or past its end (topic recreated) is no prefix of it.
    const usable = warm !== undefined && warm.end >= b.low && warm.end <= b.high;
    out.set(b.partition, usable ? warm : { end: b.low, entries: new Map(), read: 0 });
    return { topic, partition: b.partition, fromOffset: usable ? warm.end : b.low, untilOffset: b.high };
  });
  const parts = await client.read(ranges, { readCommitted: true });
  parts.forEach((records, i) => {
    const r = ranges[i]!;
    const p = out.get(r.partition)!;
    p.read = records.length;
    for (const [key, value] of records) {
      if (key === null) continue;
      if (value === '') p.entries.delete(key);
      else p.entries.set(key, value);
    }
    p.end = r.untilOffset;
  });
  return out;
}
