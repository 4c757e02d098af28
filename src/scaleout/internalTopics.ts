/**
 * The partition counts of a scaled-out job's internal topics when they exist already: the job's
 * tasks follow its inputs' partitions, so partitions added to an input are added to the topics
 * kept per task too (`fit`), at start (ScaleOut.prepare) or when a running copy is assigned the
 * new partitions (assignment.ts) — before any record is written to them (kafkajs drops a record
 * for a partition its metadata does not have, without an error).
 *
 * What grows, and what does not:
 *  - `<applicationId>-positions` (partition = task): grows to the tasks' count.
 *  - a changelog whose tasks are its input's partitions (a window over each partition's records):
 *    grows; the new tasks start empty.
 *  - a changelog keyed by key (a state, a window after a shuffle): a key's task is Kafka's default
 *    partitioner over the partition count, so when it reads an input directly, partitions added
 *    to that input move keys to other tasks, away from their state: refused, saying so.
 *  - a repartition topic keeps the partition count it was created with (ScaleOut.prepare), so
 *    its keys, and the state after it, stay where they are; the new input partitions are tasks
 *    of their own that feed it.
 * An internal topic with MORE partitions than the job's tasks (an input recreated with fewer) is
 * refused: tasks cannot shrink.
 */
import type { Kafka } from 'kafkajs';
import { FatalKafkaError } from '../kafka/retry.js';

/** A topic as the job needs it: its partition count now, and whether it may grow to it. */
export interface TopicNeed {
  topic: string;
  need: number;
  /** Keyed by key and fed by these input topics: refused rather than grown (see the top of this file). */
  keyedOn?: readonly string[];
  /** Where `need` comes from, for the errors. */
  from: string;
}

/** The partition counts of those of `topics` that exist. */
export async function existingPartitions(kafka: Kafka, topics: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (topics.length === 0) return out;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length === 0) return out;
    for (const t of (await admin.fetchTopicMetadata({ topics: present })).topics) out.set(t.name, t.partitions.length);
    return out;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Makes each existing topic of `needs` (`have`: its count) as large as needed, or throws why it cannot. */
export async function fit(kafka: Kafka, needs: readonly TopicNeed[], have: ReadonlyMap<string, number>, log: (m: string) => void): Promise<void> {
  const grow: TopicNeed[] = [];
  for (const n of needs) {
    const h = have.get(n.topic);
    if (h === undefined || h === n.need) continue;
    if (h > n.need) {
      throw new FatalKafkaError(
        `topic ${n.topic} has ${h} partitions, more than the job's ${n.need} tasks (${n.from}): was an input recreated with fewer partitions? ` +
          "A job's tasks cannot shrink: give the input its partitions back, or delete the job's internal topics (its positions and state) to start it over",
      );
    }
    if (n.keyedOn !== undefined) {
      throw new FatalKafkaError(
        `changelog ${n.topic} has ${h} partitions, but the state it keeps reads ${n.keyedOn.join(', ')} directly, which has ${n.need} now: ` +
          "the state's keys are placed by Kafka's default partitioner over the input's partition count, so partitions added to it move keys " +
          'to other tasks, away from their state. Keep the input at ' + h + ' partitions, or put repartitionByKey before the state ' +
          '(its topic keeps the partition count it was created with)',
      );
    }
    grow.push(n);
  }
  if (grow.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const n of grow) log(`topic ${n.topic} grows from ${have.get(n.topic)} to ${n.need} partitions (${n.from})`);
    // Another copy may grow them at the same moment: fine once they have the partitions.
    let refused: unknown;
    await admin.createPartitions({ topicPartitions: grow.map((n) => ({ topic: n.topic, count: n.need })) }).catch((e: unknown) => (refused = e));
    // Until every new partition has a leader, a producer could not write to it.
    for (let i = 0; ; i++) {
      const meta = await admin.fetchTopicMetadata({ topics: grow.map((n) => n.topic) });
      const short = grow.filter((n) => {
        const ps = meta.topics.find((t) => t.name === n.topic)?.partitions ?? [];
        return ps.length < n.need || ps.some((p) => p.leader < 0);
      });
      if (short.length === 0) return;
      if (i >= 100) {
        const why = refused instanceof Error ? `: ${refused.message}` : '';
        throw new FatalKafkaError(`topics ${short.map((n) => `${n.topic} (to ${n.need})`).join(', ')} could not be given their partitions${why}`, refused);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
