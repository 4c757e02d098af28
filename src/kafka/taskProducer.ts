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
 *  - commitBatch(): begin, send, sendOffsets, commit; on failure abort and throw TaskCommitFailed
 *    (retriable when the transaction never began or was aborted: the caller may try it again) —
 *    or RecordTooLarge when the broker refused a record as too large (MESSAGE_TOO_LARGE: the
 *    same records would be refused again), naming the topic, the key, its size and the limit.
 *    When the abort fails too (Kafka unreachable, outage.ts) the outcome is unknown — the broker
 *    may have committed it — until the task's next producer opens, which ends it one way or the
 *    other; the caller closes the task (scaleout/transactions.ts).
 *  - close(): when the task is lost or the copy stops.
 */
import type { ConfigResourceTypes, Kafka, Producer, Transaction } from 'kafkajs';
import { causeChain } from '../util/causeChain.js';
import { sleep } from '../util/sleep.js';

export interface TaskRecord {
  topic: string;
  partition: number;
  /** A string as its UTF-8; bytes for a key no string may collide with (the changelog's marker). */
  key: string | Buffer;
  /** null: a tombstone (a state key removed). */
  value: string | null;
}

/**
 * The most UTF-8 bytes the job puts in one record it can cut (a window's batch slice, a
 * repartition bundle): far below Kafka's default max.message.bytes (1 MB), which the job does
 * not know (kafkajs checks no size). A single value longer than that is one record still.
 */
export const RECORD_BYTES = 128 * 1024;

/** The most bytes (keys, values, RECORD_OVERHEAD each) one produce request of a transaction carries, a lone record aside: a partition's record batch stays below 1 MB. */
const REQUEST_BYTES = 512 * 1024;
/** A record's bytes besides its key and value in a record batch (length, attributes, deltas, header count: varints), rounded up. */
const RECORD_OVERHEAD = 32;

/** A record's bytes in a record batch, about. */
function recordBytes(r: TaskRecord): number {
  return (typeof r.key === 'string' ? Buffer.byteLength(r.key) : r.key.length) + (r.value === null ? 0 : Buffer.byteLength(r.value)) + RECORD_OVERHEAD;
}

/** kafkajs's ConfigResourceTypes.TOPIC (its enum is no named export of the ESM view of kafkajs). */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

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
    private readonly kafka: Kafka,
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

  /** Connects and fences the task's previous owner (again after a failure: e.g. no transaction coordinator yet). */
  open(): Promise<void> {
    this.opened ??= (async () => {
      await this.producer.connect();
      // kafkajs's connect() sends an InitProducerId WITHOUT the transactional id, which fences
      // nobody; the one with it comes with the first transaction(). Begun (and ended: nothing is
      // sent for an empty one) now, so the previous owner is fenced — its open transaction
      // aborted or completed, its later commits refused — before this owner reads the task's
      // positions. Otherwise it could still commit the batch this owner then runs again.
      const fence = await this.producer.transaction();
      await fence.abort();
    })().catch((e: unknown) => {
      this.opened = undefined;
      throw e;
    });
    return this.opened;
  }

  /**
   * One transaction: `records`, then the group's offsets for the task's partitions. Resolves
   * with the offset after the last record written to each `"topic:partition"`, once committed.
   */
  async commitBatch(records: readonly TaskRecord[], offsets: readonly TaskOffsets[]): Promise<Map<string, number>> {
    const ends = new Map<string, number>();
    if (records.length === 0 && offsets.length === 0) return ends;
    let txn: Transaction;
    try {
      await this.open();
      txn = await this.producer.transaction();
    } catch (e) {
      throw new TaskCommitFailed(e, true); // nothing begun
    }
    /** The records of the request the broker refused as too large. */
    let refused: readonly TaskRecord[] | undefined;
    try {
      // In requests of at most REQUEST_BYTES (Kafka refuses a partition's record batch over 1 MB);
      // one after the other, so a partition's records keep their order and its last offsets come last.
      for (let from = 0; from < records.length; ) {
        const byTopic = new Map<string, Array<{ partition: number; key: string | Buffer; value: string | null }>>();
        let bytes = 0;
        let i = from;
        for (; i < records.length; i++) {
          const r = records[i]!;
          const size = recordBytes(r);
          if (i > from && bytes + size > REQUEST_BYTES) break;
          bytes += size;
          let l = byTopic.get(r.topic);
          if (!l) byTopic.set(r.topic, (l = []));
          l.push({ partition: r.partition, key: r.key, value: r.value });
        }
        const sent = new Map<string, number>();
        for (const [topic, messages] of byTopic) for (const m of messages) sent.set(`${topic}:${m.partition}`, (sent.get(`${topic}:${m.partition}`) ?? 0) + 1);
        const written = await txn.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) }).catch((e: unknown) => {
          if (isTooLarge(e)) refused = records.slice(from, i);
          throw e;
        });
        for (const m of written) {
          const key = `${m.topicName}:${m.partition}`;
          if (m.baseOffset !== undefined) ends.set(key, Number(m.baseOffset) + (sent.get(key) ?? 0));
        }
        from = i;
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
      // Aborted: nothing of it is visible (a broker refuses the abort of a transaction it commits).
      const aborted = await txn.abort().then(
        () => true,
        () => false,
      );
      // Not retried: the same records would be refused again (Kafka marks it non-retriable).
      if (refused) throw await this.tooLarge(refused, e);
      throw new TaskCommitFailed(e, aborted);
    }
  }

  /** What the broker refused: the largest record of the request, and the topic's limit (when it can be read). */
  private async tooLarge(request: readonly TaskRecord[], cause: unknown): Promise<RecordTooLarge> {
    let largest = request[0]!;
    for (const r of request) if (recordBytes(r) > recordBytes(largest)) largest = r;
    let limit: number | undefined;
    const admin = this.kafka.admin();
    let timer: NodeJS.Timeout | undefined;
    try {
      const read = (async () => {
        await admin.connect();
        const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC_RESOURCE, name: largest.topic, configNames: ['max.message.bytes'] }] });
        return Number(res.resources[0]?.configEntries.find((c) => c.configName === 'max.message.bytes')?.configValue);
      })().catch(() => NaN); // not allowed to read it (ACLs): the error says the default
      const n = await Promise.race([read, new Promise<number>((r) => (timer = setTimeout(() => r(NaN), 5000)))]);
      if (Number.isSafeInteger(n)) limit = n;
    } finally {
      clearTimeout(timer);
      void admin.disconnect().catch(() => undefined);
    }
    return new RecordTooLarge(largest, recordBytes(largest) - RECORD_OVERHEAD, limit, cause);
  }

  async close(): Promise<void> {
    await this.opened?.catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
  }
}

/**
 * A task's transaction did not commit; `retriable` when nothing of it can be visible (it never
 * began, or it was aborted), so the same transaction may be tried again; else its outcome is
 * unknown until the task's producer is opened again. The cause is Kafka's.
 */
export class TaskCommitFailed extends Error {
  constructor(
    cause: unknown,
    readonly retriable: boolean,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'TaskCommitFailed';
  }
}

/**
 * The broker refused a record as larger than the topic's max.message.bytes (MESSAGE_TOO_LARGE,
 * RECORD_LIST_TOO_LARGE): the job cannot go on (a restart would write the same record again).
 * The job cuts what it can (RECORD_BYTES); what it cannot is one state value, one element of a
 * window, one repartitioned value.
 */
export class RecordTooLarge extends Error {
  constructor(
    readonly record: TaskRecord,
    /** Its key and value in UTF-8 bytes. */
    readonly bytes: number,
    /** The topic's max.message.bytes, when it could be read. */
    readonly limit: number | undefined,
    cause: unknown,
  ) {
    const key = typeof record.key === 'string' ? JSON.stringify(record.key) : `<${record.key.length} bytes>`;
    super(
      `Kafka refused a record as too large for topic ${record.topic} (partition ${record.partition}): the largest record of the request, key ${key.slice(0, 120)}, ` +
        `is ${bytes} bytes (key and value), against the topic's max.message.bytes of ${limit ?? "the broker's message.max.bytes (1048588 unless configured; it could not be read)"}` +
        ` — ${cause instanceof Error ? cause.message : String(cause)}. A state value, a window's element or a repartitioned value is written as one record: ` +
        'make it smaller, or raise max.message.bytes on the topic (and the broker\'s replica.fetch.max.bytes). Not retried.',
      { cause },
    );
    this.name = 'RecordTooLarge';
  }
}

function isTooLarge(err: unknown): boolean {
  return causeChain(err).some((e) => {
    const type = typeof e === 'object' && e !== null ? String((e as { type?: unknown }).type ?? '') : '';
    return type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE';
  });
}

/** Kafka's answer to a producer whose transactional id another copy has opened since. */
export function isProducerFenced(err: unknown): boolean {
  return causeChain(err).some((e) => {
    const type = typeof e === 'object' && e !== null ? String((e as { type?: unknown }).type ?? '') : '';
    return ['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'].includes(type);
  });
}

/** Tries of a task's transaction (or of opening its producer) that failed with nothing visible. */
export const TASK_ATTEMPTS = 6;

/**
 * `op`, tried again (0.5 s, doubling, at most 8 s between tries; TASK_ATTEMPTS in all) while it
 * fails with an error `retriable` accepts — e.g. no transaction coordinator yet under load.
 */
export async function tryTask<T>(op: () => Promise<T>, retriable: (e: unknown) => boolean, onRetry: (e: unknown, attempt: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (attempt >= TASK_ATTEMPTS || !retriable(e)) throw e;
      onRetry(e, attempt);
      await sleep(Math.min(500 * 2 ** (attempt - 1), 8000));
    }
  }
}
