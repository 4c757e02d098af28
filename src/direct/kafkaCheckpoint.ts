/**
 * The direct Kafka stream's checkpoint: the record it writes into each commit (its `meta`) — the
 * next offset of each partition after the checkpointed batch, the ranges of the batches decided
 * but not completed — and, on recovery, where that record puts each partition. Apart from the
 * stream because the record (a field more, a v2) and what a recovery makes of it change for
 * reasons of their own, not the reading protocol's.
 *
 * When things happen:
 *  - batch generated: the record is built as soon as the batch's ranges are decided
 *    (generatedPosition), that batch pending, so a crash while it runs re-reads its ranges;
 *  - checkpoint after a completed batch: built again (checkpointDelta), every decided batch up to
 *    it folded into the position;
 *  - recovery: a saved record is read (restoredPosition) and placed (placeRestored) when the
 *    stream starts, or at once if it has: each partition after it, its pending batches kept to be
 *    generated again with exactly their ranges;
 *  - first batch generated after recovery: pending batches older than it will not be generated
 *    again, so their ranges are decided anew from where they started (rewindAbandoned).
 */
import type { OffsetRange } from '../kafka/OffsetRange.js';
import type { PartitionBounds } from '../kafka/client.js';
import { parseTpKey, tpKey } from '../kafka/params.js';

/** What a direct stream writes into each completed batch's checkpoint commit (its `meta`). */
export interface DirectKafkaPosition {
  /** Format version. */
  v: 1;
  topics: string[];
  /** `"topic:partition"` → the next offset after every batch up to the checkpointed one. */
  position: Record<string, number>;
  /** Batches generated but not completed then, with their ranges: recovery re-reads exactly these. */
  pending: Array<[number, OffsetRange[]]>;
}

/** What the record needs of a batch: its ranges (undefined while being decided). */
export interface DecidedBatch {
  ranges: readonly OffsetRange[] | undefined;
}

/**
 * The record after batch `time`: the completed position moved past every decided batch up to
 * `time`, the later ones pending (copies, in time order).
 */
export function positionAfter(
  topics: readonly string[],
  time: number,
  completed: ReadonlyMap<string, number>,
  batches: ReadonlyMap<number, DecidedBatch>,
): DirectKafkaPosition {
  const position = new Map(completed);
  const pending: Array<[number, OffsetRange[]]> = [];
  for (const [t, e] of batches) {
    if (!e.ranges) continue;
    if (t <= time) {
      for (const r of e.ranges) {
        const k = tpKey(r.topic, r.partition);
        position.set(k, Math.max(position.get(k) ?? 0, r.untilOffset));
      }
    } else {
      pending.push([t, e.ranges.map((r) => ({ ...r }))]);
    }
  }
  pending.sort((a, b) => a[0] - b[0]);
  return { v: 1, topics: [...topics], position: Object.fromEntries(position), pending };
}

/** A saved `meta` as a record to restore; undefined when it holds no position (nothing to restore). */
export function restoredPosition(meta: unknown, topics: readonly string[]): DirectKafkaPosition | undefined {
  const m = meta as Partial<DirectKafkaPosition> | undefined;
  if (!m || typeof m.position !== 'object' || m.position === null) return undefined;
  return {
    v: 1,
    topics: Array.isArray(m.topics) ? m.topics : [...topics],
    position: m.position,
    pending: Array.isArray(m.pending) ? m.pending : [],
  };
}

/** The topics record `r` knows: those the stream read when it was written. */
export function recordedTopics(r: DirectKafkaPosition): Set<string> {
  const topics = new Set(r.topics);
  for (const k of Object.keys(r.position)) topics.add(parseTpKey(k).topic);
  return topics;
}

/**
 * Places a recovered stream after record `r`: each recorded partition of the stream's `topics`
 * at its position, then each partition of `bounds` the record does not know — in that order,
 * through `place`: a partition added to a recorded topic while the job was down at its first
 * offset (its records came after the position was taken); a partition of a topic added to the
 * stream's list since (the record never saw it) where the start rules put it (`byRules`:
 * fromOffsets, else the group's committed offsets, else auto.offset.reset), as on a first run.
 * The record's pending batches (without the ranges of topics no longer read) replace `pending`,
 * and `nextFrom` moves past them.
 */
export function placeRestored(
  r: DirectKafkaPosition,
  topics: readonly string[],
  bounds: readonly PartitionBounds[],
  place: (topic: string, partition: number, start: number) => void,
  pending: Map<number, OffsetRange[]>,
  nextFrom: Map<string, number>,
  byRules: (b: PartitionBounds) => number,
): void {
  for (const [k, off] of Object.entries(r.position)) {
    const { topic, partition } = parseTpKey(k);
    if (!topics.includes(topic)) continue; // the program no longer reads that topic
    place(topic, partition, off);
  }
  const recorded = recordedTopics(r);
  for (const b of bounds) {
    const k = tpKey(b.topic, b.partition);
    if (!(k in r.position)) place(b.topic, b.partition, recorded.has(b.topic) ? b.low : byRules(b));
  }
  pending.clear();
  for (const [t, ranges] of r.pending) {
    const rs = ranges.filter((x) => topics.includes(x.topic));
    pending.set(t, rs);
    for (const x of rs) {
      const k = tpKey(x.topic, x.partition);
      nextFrom.set(k, Math.max(nextFrom.get(k) ?? 0, x.untilOffset));
    }
  }
}

/**
 * Restored pending batches before `time` will not be generated again: they are forgotten, and
 * each partition's next range starts no later than where theirs did (their ranges are decided anew).
 */
export function rewindAbandoned(pending: Map<number, OffsetRange[]>, time: number, nextFrom: Map<string, number>): void {
  for (const [t, ranges] of [...pending]) {
    if (t >= time) continue;
    pending.delete(t);
    for (const r of ranges) {
      const k = tpKey(r.topic, r.partition);
      nextFrom.set(k, Math.min(nextFrom.get(k) ?? r.fromOffset, r.fromOffset));
    }
  }
}
