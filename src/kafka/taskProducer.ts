/**
 * The transactional producer of one task (partition number p of a scaled-out job), as Kafka
 * Streams' exactly-once: its `transactional.id` is `<applicationId>-task-<p>`, so a copy that
 * gains task p fences the copy that had it (InitProducerId bumps the epoch: the old producer's
 * next send or commit fails, its open transaction is aborted). Each batch of the task is one
 * transaction holding what the batch wrote to the internal topics (repartition records from
 * input partition p, changelog records of state partition p) and the offsets the batch read up
 * to (`sendOffsets` to the group): they become visible together or not at all.
 *
 * When things happen:
 *  - open(): connect = InitProducerId (fences the previous owner; waits for its transaction to
 *    end). Done when the task is gained, before its offsets and changelog are read.
 *  - commitBatch(): begin, send, sendOffsets, commit; on failure abort and throw.
 *  - close(): when the task is lost or the copy stops.
 */
import type { Kafka, Producer } from 'kafkajs';

export interface TaskRecord {
  topic: string;
  partition: number;
  key: string;
  /** null: a tombstone (a state key removed). */
  value: string | null;
}

export interface TaskOffsets {
  topic: string;
  partition: number;
  /** The next offset to read (the end of the batch's range). */
  offset: number;
}

export class TaskProducer {
  private readonly producer: Producer;
  private opened: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    readonly transactionalId: string,
    private readonly groupId: string,
  ) {
    this.producer = kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
      allowAutoTopicCreation: false,
      // Not the client's one quick retry: a transaction begun right after the previous commit gets
      // CONCURRENT_TRANSACTIONS until the broker has written that commit's markers (retriable; the
      // Java client retries it too). A fenced producer's errors are not retriable: they still fail at once.
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
    });
  }

  /** Connects and fences the task's previous owner. */
  open(): Promise<void> {
    this.opened ??= this.producer.connect();
    return this.opened;
  }

  /**
   * One transaction: `records`, then the group's offsets for the task's partitions. Resolves
   * with the offset after the last record written to each `"topic:partition"`, once committed.
   */
  async commitBatch(records: readonly TaskRecord[], offsets: readonly TaskOffsets[]): Promise<Map<string, number>> {
    await this.open();
    const ends = new Map<string, number>();
    if (records.length === 0 && offsets.length === 0) return ends;
    const counts = new Map<string, number>();
    for (const r of records) counts.set(`${r.topic}:${r.partition}`, (counts.get(`${r.topic}:${r.partition}`) ?? 0) + 1);
    const txn = await this.producer.transaction();
    try {
      if (records.length > 0) {
        const byTopic = new Map<string, Array<{ partition: number; key: string; value: string | null }>>();
        for (const r of records) {
          let l = byTopic.get(r.topic);
          if (!l) byTopic.set(r.topic, (l = []));
          l.push({ partition: r.partition, key: r.key, value: r.value });
        }
        const written = await txn.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
        for (const m of written) {
          const key = `${m.topicName}:${m.partition}`;
          if (m.baseOffset !== undefined) ends.set(key, Number(m.baseOffset) + (counts.get(key) ?? 0));
        }
      }
      if (offsets.length > 0) {
        const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
        for (const o of offsets) {
          let l = byTopic.get(o.topic);
          if (!l) byTopic.set(o.topic, (l = []));
          l.push({ partition: o.partition, offset: String(o.offset) });
        }
        await txn.sendOffsets({
          consumerGroupId: this.groupId,
          topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        });
      }
      await txn.commit();
      return ends;
    } catch (e) {
      await txn.abort().catch(() => undefined);
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.opened?.catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
  }
}
