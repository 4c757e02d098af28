/**
 * The receiver of `KafkaUtils.createStream`: a kafkajs consumer in a consumer group (Spark's
 * high-level-consumer KafkaReceiver, made reliable as its ReliableKafkaReceiver): records go to
 * `store()`, and a partition's offsets are committed to the group only after the records below
 * them were stored — with the write-ahead log on (the context's `receiverWriteAheadLog`), only
 * once they are written and fsync'd to the log. Kafka's auto-commit is never used.
 *
 * What that guarantees:
 *  - with the write-ahead log: nothing is lost. Records whose offsets Kafka has as committed are
 *    in the log; a job killed before their batch ran replays them from the log on recovery
 *    (StreamingContext.getOrCreate). A crash between a block's write and its commit makes
 *    Kafka deliver those records again after the restart: at least once, not exactly once
 *    (as Spark's receiver-based stream; the direct stream is exactly once).
 *  - without the write-ahead log, records are committed once they are in the receiver's memory:
 *    a crash loses the records received but not yet processed by a completed batch.
 *  - at `auto.offset.reset` latest, "latest" is the job's first start (Receiver.firstStartedAt,
 *    kept in its checkpoint): a partition the group has no committed offset for is read from the
 *    first record stamped at or after it, not from the end of the log when the group got it.
 *    Before, what was produced while the group formed (seconds) was never read, and neither was
 *    what came between a crash before the first commit and the restart. Each group join checks
 *    its partitions (their batches wait for it) and seeks back the ones that need it.
 *  - under a rate limit (receiverMaxRate, backpressure), a fetch batch is stored in parts of a
 *    tenth of a second's worth, each handed over once the last is admitted and committed once
 *    stored: the records the limit holds back stay in Kafka, so a stop neither processes them
 *    past the rate nor leaves them processed and uncommitted.
 *
 * `topics` maps a topic to its number of consumer "threads" (PySpark's createStream): their sum
 * is how many partitions the consumer processes at once (kafkajs `partitionsConsumedConcurrently`).
 */
import { Kafka, logLevel, type Admin, type Consumer, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import type { KafkaRecord } from '../kafka/records.js';
import { KafkaConfigError, type ResolvedKafkaParams } from '../kafka/params.js';
import { Receiver } from './Receiver.js';

/** What the receiver did, for tests and figures: `offset` is the next offset of the partition. */
export interface KafkaReceiverEvent {
  type: 'stored' | 'committed';
  topic: string;
  partition: number;
  offset: number;
  records: number;
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Settles once every store of this partition so far has (in order). */
  chain: Promise<void>;
  /** Next offset after the records stored so far. */
  stored: number;
  committed: number;
  /** The commit loop under way, if any (one at a time per partition). */
  committing: Promise<void> | undefined;
  /** A store failed (or the receiver stopped): nothing after it is stored or committed until the receiver restarts. */
  failed: boolean;
}

/** Records per store() at most (an unlimited rate: a fetch batch of small records in a few parts). */
const PART_MAX = 10_000;

export interface KafkaReceiverOptions {
  /** Pause taking more from Kafka once this many characters are handed to store() and not stored yet (default 16 Mi). */
  maxUnsettledChars?: number;
}

export class KafkaReceiver extends Receiver<KafkaRecord> {
  private consumer: Consumer | undefined;
  private starting: Promise<void> | undefined;
  private generation = 0;
  private partitions = new Map<string, PartitionState>();
  private unsettledChars = 0;
  /** At latest: the check of the last group join (rewindToStart); batches wait for it. */
  private startCheck: Promise<void> | undefined;
  private waiters: Array<() => void> = [];
  private readonly maxUnsettledChars: number;
  /** Called for every store and commit (tests). */
  onEvent: ((e: KafkaReceiverEvent) => void) | undefined;
  /** Figures. */
  readonly counts = { received: 0, stored: 0, commits: 0, commitFailures: 0 };

  constructor(
    readonly params: ResolvedKafkaParams,
    readonly groupId: string,
    readonly topics: Readonly<Record<string, number>>,
    options: KafkaReceiverOptions = {},
  ) {
    super();
    if (params.autoOffsetReset === 'none') {
      throw new KafkaConfigError(
        'kafkaParams "auto.offset.reset" none is for the direct stream: createStream\'s consumer (kafkajs) has no such policy; use earliest or latest',
      );
    }
    this.maxUnsettledChars = options.maxUnsettledChars ?? 16 * 1024 * 1024;
  }

  /** At latest, "from now on" is from the job's first start, across restarts and crashes (Receiver.firstStartedAt). */
  override get keepsStartTime(): boolean {
    return this.params.autoOffsetReset === 'latest';
  }

  private get concurrency(): number {
    let n = 0;
    for (const t of Object.values(this.topics)) n += t;
    return Math.max(1, n);
  }

  /** Starts the consumer in the background (joining the group can take a while): errors restart the receiver. */
  onStart(): void {
    const gen = ++this.generation;
    this.partitions = new Map();
    this.unsettledChars = 0;
    const kafka = new Kafka({
      clientId: this.params.clientId,
      brokers: this.params.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 },
    });
    const consumer = kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: this.params.sessionTimeoutMs,
      heartbeatInterval: this.params.heartbeatIntervalMs,
      maxWaitTimeInMs: 500,
      maxBytesPerPartition: this.params.maxPartitionFetchBytes,
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5000, restartOnFailure: async () => false },
    });
    this.consumer = consumer;
    this.startCheck = undefined;
    let admin: Admin | undefined;
    if (this.keepsStartTime) {
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        if (gen !== this.generation) return;
        admin ??= kafka.admin();
        const check = this.rewindToStart(consumer, admin, e.payload.memberAssignment);
        this.startCheck = check.catch((err: unknown) => {
          if (gen === this.generation && !this.isStopped()) {
            this.restart(`Could not find where the job's first start is in the partitions of group ${this.groupId}`, err);
          }
        });
      });
      consumer.on(consumer.events.DISCONNECT, () => void admin?.disconnect().catch(() => undefined));
    }
    consumer.on(consumer.events.CRASH, (e) => {
      if (gen !== this.generation || this.isStopped()) return;
      this.restart(`Kafka consumer of group ${this.groupId} crashed`, e.payload.error);
    });
    this.starting = (async () => {
      await consumer.connect();
      if (gen !== this.generation) return;
      await consumer.subscribe({ topics: Object.keys(this.topics), fromBeginning: this.params.autoOffsetReset === 'earliest' });
      if (gen !== this.generation) return;
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: this.concurrency,
        eachBatch: (payload) => this.onBatch(gen, consumer, payload),
      });
    })()
      .then(async () => {
        // Stopped while starting: onStop could not wait for it.
        if (gen !== this.generation) await consumer.disconnect().catch(() => undefined);
      })
      .catch((e: unknown) => {
        if (gen === this.generation && !this.isStopped()) {
          this.restart(`Could not start the Kafka consumer of group ${this.groupId} (${this.params.brokers.join(',')})`, e);
        }
      });
  }

  /**
   * At a group join: each assigned partition the group has no committed offset for is sought back
   * to the first record stamped at or after the job's first start (the consumer would start it at
   * the end of the log). Batches of the join wait for this (onBatch), and kafkajs drops a batch of
   * a partition with a seek pending: nothing after the end of the log is stored twice.
   */
  private async rewindToStart(consumer: Consumer, admin: Admin, assignment: Record<string, number[]>): Promise<void> {
    const topics = Object.keys(assignment).filter((t) => assignment[t]!.length > 0);
    if (topics.length === 0) return;
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: this.groupId, topics });
    const since = this.firstStartedAt;
    for (const { topic, partitions } of committed) {
      const mine = new Set(assignment[topic]);
      const fresh = partitions.filter((p) => mine.has(p.partition) && !(Number(p.offset) >= 0));
      if (fresh.length === 0) continue;
      const atStart = new Map((await admin.fetchTopicOffsetsByTimestamp(topic, since)).map((p) => [p.partition, p.offset]));
      for (const p of fresh) {
        const offset = atStart.get(p.partition);
        if (offset !== undefined && Number(offset) >= 0) consumer.seek({ topic, partition: p.partition, offset });
      }
    }
  }

  private async onBatch(gen: number, consumer: Consumer, { batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (gen !== this.generation || !isRunning() || isStale()) return;
    // At latest, after a join: not before its partitions were sought back (rewindToStart).
    if (this.startCheck) {
      await this.startCheck;
      if (gen !== this.generation || !isRunning() || isStale()) return;
    }
    const key = `${batch.topic}:${batch.partition}`;
    let st = this.partitions.get(key);
    if (!st) {
      st = { topic: batch.topic, partition: batch.partition, chain: Promise.resolve(), stored: -1, committed: -1, committing: undefined, failed: false };
      this.partitions.set(key, st);
    }
    const state = st;
    const messages = batch.messages;
    // Under a rate limit a fetch batch (thousands of records) is stored in parts, the next part
    // handed over only once the last is admitted: offsets are committed part by part, and the
    // records the limit holds back stay in Kafka — a stop neither processes them past the rate
    // nor leaves them processed and uncommitted (received again by the next run).
    for (let i = 0; i < messages.length; ) {
      if (gen !== this.generation || !isRunning() || isStale() || state.failed || this.isStopped()) return;
      const end = Math.min(messages.length, i + this.partSize());
      this.storePart(gen, consumer, state, messages, i, end);
      i = end;
      if (this.storeBacklogged) {
        await this.storeAdmitted();
        await heartbeat().catch(() => undefined);
      }
      // Keep memory bounded: wait while too much is in flight (the write-ahead log).
      while (this.unsettledChars > this.maxUnsettledChars && gen === this.generation && isRunning()) {
        await new Promise<void>((r) => this.waiters.push(r));
        await heartbeat().catch(() => undefined);
      }
    }
  }

  /** Records per store(): about a tenth of a second's worth at the rate limit, at most PART_MAX. */
  private partSize(): number {
    const rate = this.storeRate;
    return Number.isFinite(rate) ? Math.min(PART_MAX, Math.max(1, Math.ceil(rate / 10))) : PART_MAX;
  }

  /** Stores messages[from, to) of a partition; once they are stored (in order), commits past them. */
  private storePart(gen: number, consumer: Consumer, state: PartitionState, messages: KafkaMessage[], from: number, to: number): void {
    const records: KafkaRecord[] = [];
    let chars = 0;
    for (let i = from; i < to; i++) {
      const m = messages[i]!;
      const k = m.key === null ? null : m.key.toString('utf8');
      const v = m.value === null ? '' : m.value.toString('utf8');
      records.push([k, v]);
      chars += v.length + (k?.length ?? 0) + 16;
    }
    const next = Number(messages[to - 1]!.offset) + 1;
    this.counts.received += records.length;
    this.unsettledChars += chars;
    const outcome = this.store(records).then(
      () => undefined,
      (e: unknown) => ({ error: e }),
    );
    void outcome.then(() => this.settle(chars));
    // Outcomes are taken in store order: a stored offset is one every record below it was stored
    // by, and a part that failed stops the ones after it (a stop rejects them) from counting.
    state.chain = state.chain.then(async () => {
      const failure = await outcome;
      if (gen !== this.generation || state.failed) return;
      if (failure) {
        state.failed = true;
        if (!this.isStopped()) this.restart(`Could not store records of ${state.topic}:${state.partition} from Kafka`, failure.error);
        return;
      }
      this.counts.stored += records.length;
      state.stored = Math.max(state.stored, next);
      this.onEvent?.({ type: 'stored', topic: state.topic, partition: state.partition, offset: next, records: records.length });
      void this.commit(gen, consumer, state);
    });
  }

  private settle(chars: number): void {
    this.unsettledChars -= chars;
    if (this.unsettledChars <= this.maxUnsettledChars) {
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w();
    }
  }

  /**
   * Commits the partition's stored position, one commit at a time, always the latest. While a
   * commit loop is under way, returns that loop (which commits whatever is stored by the time
   * each of its commits ends).
   */
  private commit(gen: number, consumer: Consumer, st: PartitionState): Promise<void> {
    if (st.committing) return st.committing;
    const loop = (async () => {
      while (gen === this.generation && st.stored > st.committed) {
        const offset = st.stored;
        try {
          await consumer.commitOffsets([{ topic: st.topic, partition: st.partition, offset: String(offset) }]);
        } catch (e) {
          // A rebalance took the partition away, or the consumer is stopping: its new owner (or
          // this receiver after a restart) reads again from the last commit — at least once.
          this.counts.commitFailures++;
          if (!this.isStopped()) this.reportError(`Committing offset ${offset} of ${st.topic}:${st.partition} failed`, e);
          return;
        }
        st.committed = Math.max(st.committed, offset);
        this.counts.commits++;
        this.onEvent?.({ type: 'committed', topic: st.topic, partition: st.partition, offset, records: 0 });
      }
    })().finally(() => {
      st.committing = undefined;
    });
    st.committing = loop;
    return loop;
  }

  /**
   * Commits everything stored so far: waits for the commit under way (which may have started
   * before the last stores), then commits what it left (a failed or stale loop included).
   */
  private async commitAll(gen: number, consumer: Consumer, st: PartitionState): Promise<void> {
    // The loop under way goes on until the latest stored offset is committed (or a commit fails).
    if (st.committing) await st.committing;
    // Nothing under way now: commit what is left (a failed commit is tried once more).
    if (gen === this.generation && st.stored > st.committed) await this.commit(gen, consumer, st);
  }

  async onStop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (!consumer) return;
    const gen = this.generation;
    // Joining the group can take long (a killed member's session must expire first): do not wait
    // for it to stop.
    const running = await Promise.race([
      (this.starting ?? Promise.resolve()).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref()),
    ]);
    if (running) {
      // Stop taking records, give the stores under way a moment to complete and commit them, then
      // leave the group. At the context's stop they have all settled already (the supervisor cuts
      // the final block before calling onStop); at a restart the block being filled is cut within
      // a block interval.
      try {
        consumer.pause(Object.keys(this.topics).map((topic) => ({ topic })));
      } catch {
        /* not running */
      }
      const chains = [...this.partitions.values()].map((st) => st.chain.catch(() => undefined));
      await Promise.race([Promise.all(chains), new Promise((r) => setTimeout(r, 3000).unref())]);
      // Every stored offset, including what a commit already under way did not cover (the next
      // run must not receive again what this one stored).
      await Promise.all([...this.partitions.values()].map((st) => this.commitAll(gen, consumer, st)));
    }
    this.generation++;
    for (const w of this.waiters.splice(0)) w();
    await consumer.disconnect().catch(() => undefined);
  }
}
