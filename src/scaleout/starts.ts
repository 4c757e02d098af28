/**
 * Where the partitions of the tasks a copy gains start (assignment.ts), and which tasks must
 * record their start before a batch reads them.
 *
 * A partition starts at the later of its task's last positions record (positions.ts) and the
 * group's committed offset. One with neither starts
 *  - of an internal topic: at its start;
 *  - of an input topic, numbered at or above the partition count the topic had when the job first
 *    read it (`started`): at its start — the partition was added since, and whatever was written
 *    to it before the group assigned it must be read (as Kafka Streams and a single-process
 *    direct stream read a new partition);
 *  - else by auto.offset.reset: earliest → its start; latest (or none) → its end now. An end
 *    moves on, so the task records it (a positions record and the group's offsets, in a
 *    transaction of its own) before any batch reads the partition: a batch that reads records
 *    after it and does not commit (the task moved, the copy stopped or died) leaves them to the
 *    next owner, which resumes there and not at a later end.
 * `started` of a topic: the largest any positions record says; if none says, one more than the
 * highest partition with an offset (the job was run by an earlier version, which did not record
 * it); if none has any, the topic's partition count now (the job starts on it now).
 */
import type { PartitionBounds } from '../kafka/client.js';
import type { TopicPartitionRef } from '../kafka/group.js';
import type { OffsetReset } from '../kafka/params.js';
import { tpKey } from '../kafka/params.js';
import type { TaskPositions } from './positions.js';

export interface StartFacts {
  /** The partitions of the tasks gained. */
  partitions: readonly TopicPartitionRef[];
  bounds: readonly PartitionBounds[];
  /** The gained tasks' last positions records. */
  own: TaskPositions;
  /** The group's committed offsets of the assignment's topics (every partition). */
  committed: ReadonlyMap<string, number>;
  isInternal(topic: string): boolean;
  reset: OffsetReset;
  /** What this copy knows of `started` already (from earlier gains). */
  started: ReadonlyMap<string, number>;
  /** Every task's last record (read only when a partition without an offset needs `started`). */
  everyTask(): Promise<TaskPositions>;
}

export interface Starts {
  /** `"topic:partition"` → where it starts. */
  start: Map<string, number>;
  /** Input topic → its partition count when the job first read it, as far as known now. */
  started: Map<string, number>;
  /** Tasks with a partition starting at its end now: recorded before any batch reads them. */
  record: Set<number>;
  /**
   * The partitions such a record holds: those with an offset and those starting at their end.
   * One starting at its start is left out (the next owner finds the same start, and a record of
   * it would outlive the records retention deletes).
   */
  recorded: Set<string>;
}

export async function decideStarts(f: StartFacts): Promise<Starts> {
  const started = new Map(f.started);
  for (const [t, n] of f.own.started) started.set(t, Math.max(n, started.get(t) ?? 0));
  const known = (key: string): number | undefined => {
    const l = [f.own.offsets.get(key), f.committed.get(key)].filter((o): o is number => o !== undefined);
    return l.length > 0 ? Math.max(...l) : undefined;
  };
  const unplaced = f.partitions.filter((p) => !f.isInternal(p.topic) && known(tpKey(p.topic, p.partition)) === undefined);
  const unknownTopics = [...new Set(unplaced.map((p) => p.topic))].filter((t) => !started.has(t));
  if (unknownTopics.length > 0) {
    const every = await f.everyTask();
    for (const [t, n] of every.started) started.set(t, Math.max(n, started.get(t) ?? 0));
    for (const topic of unknownTopics) {
      if (started.has(topic)) continue;
      const placed = [...every.offsets.keys(), ...f.committed.keys()]
        .filter((k) => k.slice(0, k.lastIndexOf(':')) === topic)
        .map((k) => Number(k.slice(k.lastIndexOf(':') + 1)));
      started.set(topic, placed.length > 0 ? Math.max(...placed) + 1 : f.bounds.filter((b) => b.topic === topic).length);
    }
  }
  const start = new Map<string, number>();
  const record = new Set<number>();
  const recorded = new Set<string>();
  for (const p of f.partitions) {
    const key = tpKey(p.topic, p.partition);
    const b = f.bounds.find((x) => x.topic === p.topic && x.partition === p.partition);
    if (!b) throw new Error(`partition ${p.partition} of topic ${p.topic} was assigned but Kafka does not list it`);
    const k = known(key);
    if (k !== undefined) {
      start.set(key, k);
      recorded.add(key);
    } else if (f.isInternal(p.topic) || p.partition >= started.get(p.topic)! || f.reset === 'earliest') start.set(key, b.low);
    else {
      start.set(key, b.high);
      record.add(p.partition);
      recorded.add(key);
    }
  }
  return { start, started, record, recorded };
}
