/**
 * Where each task of a scaled-out job resumes, kept beside its state: a compacted topic
 * `<applicationId>-positions`, partition = task, one record per task transaction holding the
 * offsets that transaction commits to the group (`[[topic, partition, offset, started?], …]`;
 * `started`, for an input topic, is the partition count the topic had when the job first
 * started reading it: a partition numbered at or above it was added later, see assignment.ts.
 * Records of earlier versions have no `started`).
 *
 * Why not only the group's committed offsets: Kafka makes a transaction's offsets readable by
 * OffsetFetch a moment after the transaction completes (the group coordinator applies them
 * asynchronously; only OffsetFetch v7's `require_stable`, which kafkajs lacks, waits for it).
 * A copy that gains a task right after its previous owner committed could read the offsets
 * from before that commit while the changelog (read committed) already has its state changes:
 * the batch would be counted twice. This record is in the same transaction as the changelog
 * and repartition records, and is read the same way, so it is never behind them.
 *
 * When things happen: a record is staged with every task transaction (transactions.ts), and
 * with a transaction of its own when a task is gained with a partition that has no position
 * yet (assignment.ts: where it starts is then fixed before any batch reads it); a gained task's
 * last committed record is read after its producer is opened (which ends any transaction of the
 * previous owner) and wins over the group's offsets; the group's offsets are still committed
 * (for lag tools, and for tasks without a record yet).
 */
import type { KafkaClient } from '../kafka/client.js';
import type { TaskOffsets, TaskRecord } from '../kafka/taskProducer.js';

/** Every record's key: compaction keeps the latest per task. */
const KEY = 'positions';

export function positionsTopic(applicationId: string): string {
  return `${applicationId}-positions`;
}

/**
 * The record of a task transaction that commits `offsets`; `started`: input topic → its
 * partition count when the job first read it, where known.
 */
export function positionsRecord(topic: string, task: number, offsets: readonly TaskOffsets[], started: ReadonlyMap<string, number> = new Map()): TaskRecord {
  const entries = offsets.map((o) => {
    const n = started.get(o.topic);
    return n === undefined ? [o.topic, o.partition, o.offset] : [o.topic, o.partition, o.offset, n];
  });
  return { topic, partition: task, key: KEY, value: JSON.stringify(entries) };
}

/** What the last committed records of some tasks say. */
export interface TaskPositions {
  /** `"topic:partition"` → offset. */
  offsets: Map<string, number>;
  /** Input topic → its partition count when the job first read it (the largest any record says). */
  started: Map<string, number>;
}

/**
 * The last committed record of each task in `tasks` (every partition of the topic when
 * omitted): read from the partition's end backwards (a window of 32 offsets, doubling: aborted
 * transactions and commit markers sit between records).
 */
export async function readTaskPositions(client: KafkaClient, topic: string, tasks?: readonly number[]): Promise<TaskPositions> {
  const out: TaskPositions = { offsets: new Map(), started: new Map() };
  const bounds = (await client.topicBounds([topic])).filter((b) => tasks === undefined || tasks.includes(b.partition));
  await Promise.all(
    bounds.map(async (b) => {
      for (let window = 32, until = b.high; until > b.low; window *= 2) {
        const from = Math.max(b.low, until - window);
        const [records] = await client.read([{ topic, partition: b.partition, fromOffset: from, untilOffset: until }], { readCommitted: true });
        const last = records?.filter(([k, v]) => k === KEY && v !== '').at(-1);
        if (last) {
          for (const [t, p, o, n] of JSON.parse(last[1]) as Array<[string, number, number, number?]>) {
            out.offsets.set(`${t}:${p}`, o);
            if (n !== undefined) out.started.set(t, Math.max(n, out.started.get(t) ?? 0));
          }
          return;
        }
        until = from;
      }
    }),
  );
  return out;
}

/** `"topic:partition"` → offset, from the last committed record of each task in `tasks`. */
export async function readPositions(client: KafkaClient, topic: string, tasks: readonly number[]): Promise<Map<string, number>> {
  return (await readTaskPositions(client, topic, tasks)).offsets;
}
