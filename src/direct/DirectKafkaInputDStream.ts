/**
 * Spark's DirectKafkaInputDStream: no receiver. At each batch the driver decides, per
 * topic-partition, the offset range `[from, until)` the batch consumes — from where the previous
 * batch stopped up to the latest offset, capped — and the batch's RDD (a KafkaRDD, one partition
 * per Kafka partition) holds exactly those records. Offsets are the stream's own position, kept
 * in each completed batch's checkpoint commit, so a recovered job re-reads exactly the ranges it
 * had not completed.
 *
 * The cap: unlike Spark, a batch never takes an unbounded backlog by default (a job started
 * from `earliest` on an old topic, or restarted after downtime). Without maxRatePerPartition it
 * takes at most the default cap (rate/BatchCap.ts: about one batch interval of the processing
 * rate the job has shown, bounded in records and bytes, conservative at first), shared among
 * partitions by lag; catch-up then runs as full batches back to back and the listener's
 * `backlog` shows what is left. maxRatePerPartition overrides it, backpressure starts from it.
 *
 * When things happen:
 *  - start(): the partitions of the topics and the starting offsets are looked up
 *    (fromOffsets, else the offsets committed by `group.id` — reset by `auto.offset.reset` when
 *    Kafka no longer holds them —, else `auto.offset.reset`; recovered,
 *    the checkpoint's record places the partitions of the topics it knows: kafkaCheckpoint.ts). A
 *    missing topic or an unreachable broker fails start() after the bounded retry.
 *  - batch generated: first prepareBatch — the latest offsets are looked up and the ranges
 *    decided (one batch after the other, in time order; a position past its partition's log end
 *    — the topic recreated, its data lost — fails the batch: cutRanges.ts); then compute — the batch's KafkaRDD,
 *    one partition per topic-partition known then, with its ranges already set, so
 *    `transform((rdd) => rdd.offsetRanges())` works as in Spark.
 *  - the batch before it starts running (or at once, when that one already has): the ranges are
 *    read from the partition leaders, so the fetch overlaps that batch's processing — one batch
 *    ahead, no more. A read stops at untilOffset whatever arrived after.
 *  - batch starts running (BatchHooks.onBatchGenerated, before its output operations): it waits
 *    for its records; a read that failed fails the batch.
 *  - batch completed (BatchHooks.onBatchCompleted): the position moves past its ranges; the
 *    default cap and the backpressure estimator learn from it.
 *
 * Partitions added to a topic are found by the next lookup of the latest offsets and read from
 * their first offset (0) from the next batch generated after that lookup (a batch's partition
 * count is fixed when its ranges are decided).
 *
 * Kafka unreachable in the middle of a run: the lookup or the read retries with back-off for up
 * to `retry.timeout.ms` (default 2 min) — the batch waits and the ones after it queue, a warning
 * says so once and another line when Kafka answers again — then the batch fails, which stops the
 * context with that error. Nothing is skipped either way: a range is consumed only by a batch
 * that completes.
 *
 * The stream's whole reading protocol (deciding ranges, reading ahead, completing) reads in this
 * file; the checkpoint record and recovery are in kafkaCheckpoint.ts, commitAsync in
 * offsetCommits.ts, cutting ranges in cutRanges.ts, the rate and the cap in rate/, Kafka I/O in kafka/.
 */
import type { CompletedBatchInfo } from '../context/StreamingListener.js';
import type { Checkpointable, SavedStreamCheckpoint, StreamCheckpoint } from '../dstream/Checkpointable.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { InputDStream } from '../dstream/InputDStream.js';
import type { DStream } from '../dstream/DStream.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import type { RDD } from '../rdd/RDD.js';
import { KafkaClient, type PartitionBounds, type ReadOptions } from '../kafka/client.js';
import { FatalKafkaError } from '../kafka/retry.js';
import type { RecordDecoders } from '../kafka/records.js';
import type { KafkaRDD } from '../kafka/KafkaRDD.js';
import { KafkaConfigError, parseTpKey, tpKey, type ResolvedKafkaParams } from '../kafka/params.js';
import type { BatchCap } from '../rate/BatchCap.js';
import { DirectRateController } from '../rate/DirectRateController.js';
import { completeBatches, type DirectBatchHooks } from './completeBatches.js';
import { checkPositions, cutRanges, type PartitionKey, type PositionOrigin } from './cutRanges.js';
import { ReadAhead, restoredBatch, undecidedBatch, type BatchEntry, type Decision } from './kafkaBatch.js';
import { placeRestored, positionAfter, recordedTopics, restoredPosition, rewindAbandoned, type DirectKafkaPosition } from './kafkaCheckpoint.js';
import { OffsetCommits } from './offsetCommits.js';
import type { PartitionOwnership } from './ownership.js';

export interface DirectStreamOptions<K = string | null, V = string> extends RecordDecoders<K, V> {
  /** How ranges are read (fetch concurrency); see KafkaClient.read. */
  read?: ReadOptions;
  /**
   * Scale-out (a context with an `applicationId`): the group decides which partitions this copy
   * reads and where a gained one starts; positions do not come from the checkpoint. See ownership.ts.
   */
  ownership?: PartitionOwnership;
  /**
   * fromOffsets name every partition of their topics the job has read (completeOffsets.ts): a
   * partition of those topics they do not name starts at its log start.
   */
  addedPartitionsFromLogStart?: boolean;
}

export class DirectKafkaInputDStream<K = string | null, V = string> extends InputDStream<[K, V]> implements Checkpointable {
  readonly topics: readonly string[];
  readonly params: ResolvedKafkaParams;
  private readonly fromOffsets: ReadonlyMap<string, number>;
  private client: KafkaClient | undefined;
  private started = false;
  private stopped = false;
  /** Known topic-partitions in RDD partition order (topic order of `topics`, then partition). */
  private tps: PartitionKey[] = [];
  /** Where the next range of each partition starts (after every range decided so far). */
  private readonly nextFrom = new Map<string, number>();
  /** The position after the completed batches. */
  private readonly completed = new Map<string, number>();
  private readonly batches = new Map<number, BatchEntry<K, V>>();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly readAhead = new ReadAhead();
  private restored: DirectKafkaPosition | undefined;
  private readonly restoredPending = new Map<number, OffsetRange[]>();
  private startBounds: PartitionBounds[] = [];
  /** Where each partition found at start() starts by the start rules (fromOffsets, committed, auto.offset.reset). */
  private readonly startPositions = new Map<string, number>();
  /** Where each partition's next offset came from (for the error of a position past the log end). */
  private readonly origins = new Map<string, PositionOrigin>();
  /** Where each of startPositions came from. */
  private readonly startOrigins = new Map<string, PositionOrigin>();
  private readonly rate: DirectRateController;
  private readonly commits: OffsetCommits;
  private readonly readOptions: ReadOptions;
  /** keyDecoder/valueDecoder; undefined for the default UTF-8 records (the client's fused path). */
  private readonly decoders: RecordDecoders<K, V> | undefined;
  /** The latest offset of each partition at the last lookup (for the lag a batch reports). */
  private readonly latest = new Map<string, number>();
  private readonly capsInForce = new Map<number, number>();
  /** Whether the default cap knows what a record weighs (else the first decision samples a few). */
  private sizeKnown = false;
  private readonly ownership: PartitionOwnership | undefined;
  /** The topics whose partitions not in fromOffsets start at their log start (addedPartitionsFromLogStart). */
  private readonly addedFromLogStart: ReadonlySet<string> | undefined;
  /** Scaled out: the gain each owned partition is read from (OwnedPartition). */
  private readonly gains = new Map<string, number>();

  constructor(
    graph: DStreamGraph,
    topics: readonly string[],
    params: ResolvedKafkaParams,
    fromOffsets: ReadonlyMap<string, number>,
    options: DirectStreamOptions<K, V> = {},
  ) {
    super(graph);
    this.topics = [...topics];
    this.params = params;
    this.fromOffsets = fromOffsets;
    for (const k of fromOffsets.keys()) {
      const { topic } = parseTpKey(k);
      if (!this.topics.includes(topic)) {
        throw new KafkaConfigError(`fromOffsets names "${k}", but topic ${topic} is not among the stream's topics ${JSON.stringify(topics)}`);
      }
    }
    this.rate = new DirectRateController(params, graph.batchDuration);
    this.ownership = options.ownership;
    this.addedFromLogStart = options.addedPartitionsFromLogStart === true ? new Set([...fromOffsets.keys()].map((k) => parseTpKey(k).topic)) : undefined;
    if (this.ownership && params.autoOffsetReset === 'none') {
      throw new KafkaConfigError('kafkaParams "auto.offset.reset" none is not supported by a scaled-out stream: use earliest or latest');
    }
    // Internal topics are written in transactions: a scaled-out stream reads committed records only.
    this.readOptions = this.ownership || params.readCommitted ? { ...options.read, readCommitted: true } : (options.read ?? {});
    this.ownership?.register(this.topics, params);
    this.commits = new OffsetCommits({
      params,
      scaledOut: Boolean(this.ownership),
      running: () => this.started && !this.stopped,
      nextOffset: (tp) => this.nextFrom.get(tp),
      kafka: () => this.kafka(),
    });
    const { keyDecoder, valueDecoder } = options;
    if (keyDecoder !== undefined && typeof keyDecoder !== 'function') throw new KafkaConfigError('keyDecoder must be a function (bytes: Buffer | null) => key');
    if (valueDecoder !== undefined && typeof valueDecoder !== 'function') throw new KafkaConfigError('valueDecoder must be a function (bytes: Buffer | null) => value');
    this.decoders = keyDecoder || valueDecoder ? { keyDecoder, valueDecoder } : undefined;
  }

  override get kind(): string {
    return 'DirectKafkaInputDStream';
  }

  /** The hooks KafkaUtils registers with the context (ssc.addBatchHooks). */
  get batchHooks(): DirectBatchHooks {
    return {
      onBatchGenerated: (time) => this.readBatch(time),
      onBatchCompleted: (time, info) => this.batchCompleted(time, info),
    };
  }

  /** foreachRDD whose RDDs are typed as what they are: KafkaRDDs, with `offsetRanges()`. */
  override foreachRDD(f: (rdd: KafkaRDD<K, V>, time: number) => void | Promise<void>): void {
    super.foreachRDD(f as (rdd: RDD<[K, V]>, time: number) => void | Promise<void>);
  }

  /** transform whose RDDs are typed as KafkaRDDs (Spark's way of getting at each batch's offset ranges). */
  override transform<U>(f: (rdd: KafkaRDD<K, V>, time: number) => RDD<U>): DStream<U> {
    return super.transform(f as (rdd: RDD<[K, V]>, time: number) => RDD<U>);
  }

  /** The position after the completed batches (`"topic:partition"` → next offset). */
  currentOffsets(): Map<string, number> {
    return new Map(this.completed);
  }

  /** The current backpressure estimate in records/s (Infinity: no estimate / not enabled). */
  get estimatedRate(): number {
    return this.rate.estimatedRate;
  }

  /** The default batch cap (rate/BatchCap.ts); undefined when maxRatePerPartition overrides it. */
  get batchCap(): BatchCap | undefined {
    return this.rate.cap;
  }

  /** The records limit batch `time` was cut with by the default cap, while the stream remembers the batch. */
  capOf(time: number): number | undefined {
    return this.capsInForce.get(time);
  }

  private kafka(): KafkaClient {
    // An outage is told once (client.ts); scaled out, the copy's group tells it (kafka/group.ts).
    this.client ??= new KafkaClient(
      this.params,
      () => this.stopped || this.graph.lifecycle === 'stopped',
      this.ownership ? undefined : (m) => console.warn(`dstreams: ${m}`),
    );
    return this.client;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  override async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const client = this.kafka();
    const bounds = await client.topicBounds(this.topics);
    // Scaled out: no partition is read until the group assigns it (see syncOwnership).
    if (this.ownership) return;
    this.startBounds = bounds;
    const exists = new Set(bounds.map((b) => tpKey(b.topic, b.partition)));
    for (const k of this.fromOffsets.keys()) {
      if (!exists.has(k)) throw new KafkaConfigError(`fromOffsets names "${k}", which is not a partition of the topic`);
    }
    // Recovered, the partitions of the topics the checkpoint record knows start from it; the
    // others (a topic added to the stream since) by the start rules, as on a first run.
    const recorded = this.restored ? recordedTopics(this.restored) : undefined;
    const byRules = bounds.filter((b) => !recorded?.has(b.topic));
    let committed = new Map<string, number>();
    const placedByFrom = (b: PartitionBounds): boolean => this.fromOffsets.has(tpKey(b.topic, b.partition)) || this.addedFromLogStart?.has(b.topic) === true;
    const needCommitted = byRules.some((b) => !placedByFrom(b));
    if (this.params.groupId !== undefined && needCommitted) {
      committed = await client.committedOffsets(this.params.groupId, this.topics);
    }
    const ruled = new Set(byRules.map((b) => tpKey(b.topic, b.partition)));
    // A committed offset Kafka no longer holds is reset by auto.offset.reset, as Kafka's consumer does.
    const invalid = await this.committedOutOfRange(
      byRules.filter((b) => !placedByFrom(b)),
      committed,
    );
    const reset = this.params.autoOffsetReset;
    const unplaced: string[] = [];
    for (const b of bounds) {
      const key = tpKey(b.topic, b.partition);
      const from = this.fromOffsets.get(key);
      const c = committed.get(key);
      let start: number;
      let origin: PositionOrigin;
      if (from !== undefined) {
        start = from;
        origin = 'fromOffsets';
      } else if (this.addedFromLogStart?.has(b.topic)) {
        // Added to a topic whose every partition read fromOffsets names (a sink's): nothing of it was read.
        start = b.low;
        origin = 'stream';
      } else if (c !== undefined && !invalid.has(key)) {
        start = c;
        origin = 'group';
      } else if (reset === 'none' && ruled.has(key)) {
        const bad = invalid.get(key);
        unplaced.push(
          bad
            ? `the offset ${c} consumer group "${this.params.groupId}" committed for topic ${b.topic} partition ${b.partition} is out of the range Kafka holds ` +
                `[${b.low}, ${bad.logEnd}] (${c! < b.low ? 'below the log start: its records were deleted, by retention?' : 'past the log end: the topic was recreated or its data lost?'})`
            : this.params.groupId !== undefined
              ? `consumer group "${this.params.groupId}" has no committed offset for topic ${b.topic} partition ${b.partition} (range [${b.low}, ${b.high}]) and fromOffsets does not name it`
              : `no group.id is given and fromOffsets does not name topic ${b.topic} partition ${b.partition} (range [${b.low}, ${b.high}])`,
        );
        continue;
      } else {
        // (A partition the checkpoint places gets its position from it: this one is not used.)
        start = reset === 'earliest' ? b.low : b.high;
        origin = 'stream';
      }
      this.startPositions.set(key, start);
      this.startOrigins.set(key, origin);
      this.addPartition(b.topic, b.partition, start, origin);
    }
    if (unplaced.length > 0) {
      throw new FatalKafkaError(
        `auto.offset.reset is none and the direct stream has no valid starting offset: ${unplaced.join('; ')}. ` +
          'Give fromOffsets, reset the group\'s offsets (kafka-consumer-groups.sh --reset-offsets), or set auto.offset.reset to earliest or latest.',
      );
    }
    if (this.restored) this.applyRestored(this.restored);
  }

  /**
   * The committed offsets (of `partitions`) Kafka no longer holds: below the partition's log
   * start (records deleted by retention) or past its log end (the topic recreated, its data
   * lost), with the log end. `high` is the last stable offset, so an offset past it is checked
   * against the log end (an open transaction may hold it).
   */
  private async committedOutOfRange(
    partitions: readonly PartitionBounds[],
    committed: ReadonlyMap<string, number>,
  ): Promise<Map<string, { logEnd: number }>> {
    const out = new Map<string, { logEnd: number }>();
    const above: PartitionKey[] = [];
    for (const b of partitions) {
      const key = tpKey(b.topic, b.partition);
      const c = committed.get(key);
      if (c === undefined) continue;
      if (c < b.low) out.set(key, { logEnd: b.high });
      else if (c > b.high) above.push({ topic: b.topic, partition: b.partition, key });
    }
    if (above.length > 0) {
      const ends = await this.kafka().logEndOffsets(above);
      for (const tp of above) {
        const end = ends.get(tp.key);
        if (end !== undefined && committed.get(tp.key)! > end) out.set(tp.key, { logEnd: end });
      }
    }
    return out;
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    await this.commits.settled();
    await this.client?.close();
  }

  private addPartition(topic: string, partition: number, start: number, origin: PositionOrigin): void {
    const key = tpKey(topic, partition);
    this.origins.set(key, origin);
    if (!this.tps.some((tp) => tp.key === key)) {
      this.tps.push({ topic, partition, key });
      const order = (t: string): number => {
        const i = this.topics.indexOf(t);
        return i < 0 ? this.topics.length : i;
      };
      this.tps.sort((a, b) => order(a.topic) - order(b.topic) || a.topic.localeCompare(b.topic) || a.partition - b.partition);
    }
    this.nextFrom.set(key, start);
    this.completed.set(key, start);
  }

  // ---- batches ------------------------------------------------------------------------------

  /** Decides batch `time`'s ranges before it is computed (see the file header); resolves once they are set. */
  prepareBatch(time: number): Promise<void> | undefined {
    if (!this.started || this.generatedRDDs.has(time) || !this.isTimeValid(time)) return undefined;
    const entry = this.entryFor(time);
    return entry.ranges ? undefined : entry.decided.then(() => undefined);
  }

  compute(time: number): KafkaRDD<K, V> {
    if (!this.started) throw new Error('the direct Kafka stream has not been started');
    const entry = this.entryFor(time);
    this.reportRecords(
      time,
      entry.rdd.rangeSize,
      entry.ranges ? { offsetRanges: entry.ranges, latestOffsets: Object.fromEntries(this.latest) } : undefined,
      entry.backlog !== undefined ? { backlog: { records: entry.backlog } } : undefined,
    );
    return entry.rdd;
  }

  /** Batch `time`'s entry: its recorded ranges after a recovery, else ranges decided after the previous batch's. */
  private entryFor(time: number): BatchEntry<K, V> {
    const known = this.batches.get(time);
    if (known) return known;
    let entry: BatchEntry<K, V>;
    const restored = this.restoredPending.get(time);
    if (restored) {
      this.restoredPending.delete(time);
      entry = restoredBatch(restored);
    } else {
      rewindAbandoned(this.restoredPending, time, this.nextFrom);
      if (this.ownership) this.syncOwnership(this.ownership, time);
      const keys = [...this.tps];
      const decision = this.chain.then(() => this.decide(keys));
      this.chain = decision.catch(() => undefined);
      entry = undecidedBatch(keys, decision, (cap) => this.capsInForce.set(time, cap));
    }
    this.readAhead.start(entry, (ranges) => this.kafka().readSized(ranges, this.readOptions, this.decoders));
    this.batches.set(time, entry);
    return entry;
  }

  /** Scaled out: read exactly the partitions owned now; a gained one from where the group committed. */
  private syncOwnership(ownership: PartitionOwnership, time: number): void {
    const owned = ownership.owned(this.topics, time);
    // A lost partition keeps its position entries: a batch generated before the loss still decides its range.
    this.tps = this.tps.filter((tp) => owned.has(tp.key));
    for (const [key, { start, gain }] of owned) {
      // Read from an earlier gain, the partition was lost and gained again since the last batch
      // generated: the batches read after that start were not committed, it starts over.
      if (this.gains.get(key) === gain && this.tps.some((tp) => tp.key === key)) continue;
      this.gains.set(key, gain);
      const { topic, partition } = parseTpKey(key);
      this.addPartition(topic, partition, start, 'group');
    }
  }

  /** The ranges of the next batch: from where the previous one stopped to the latest offsets, capped. */
  private async decide(keys: readonly PartitionKey[]): Promise<Decision> {
    const bounds = await this.kafka().topicBounds(this.topics);
    const high = new Map<string, number>();
    for (const b of bounds) {
      const key = tpKey(b.topic, b.partition);
      high.set(key, b.high);
      this.latest.set(key, b.high);
      // A partition added to a topic: read from its beginning, from the next batch generated
      // (scaled out, the group assigns it).
      if (!this.nextFrom.has(key) && !this.ownership) this.addPartition(b.topic, b.partition, b.low, 'stream');
    }
    // A partition the stream reads that its topic no longer has: the topic was deleted and made
    // again with fewer (Kafka never shrinks one). Its records past the position are not there to read.
    const gone = keys.filter((tp) => !high.has(tp.key) && bounds.some((b) => b.topic === tp.topic));
    if (gone.length > 0) {
      const counts = [...new Set(gone.map((tp) => tp.topic))].map((t) => `${t} has ${bounds.filter((b) => b.topic === t).length}`);
      throw new FatalKafkaError(
        `partition${gone.length > 1 ? 's' : ''} ${gone.map((tp) => tp.key).join(', ')} no longer exist${gone.length > 1 ? '' : 's'} (topic ${counts.join(', topic ')} now): ` +
          'the topic was deleted and created again with fewer partitions while the stream read it (Spark: "No current assignment for partition")',
      );
    }
    // A position past the log end (`high` is the last stable offset, which a position may pass
    // while a transaction is open): the partition's log is not the one the position was taken in.
    const above = keys.filter((tp) => high.has(tp.key) && this.nextFrom.get(tp.key)! > high.get(tp.key)!);
    if (above.length > 0) {
      checkPositions(above, this.nextFrom, await this.kafka().logEndOffsets(above), (k) => this.origins.get(k) ?? 'stream', this.params.groupId);
    }
    const lag = new Map<string, number>();
    for (const tp of keys) lag.set(tp.key, Math.max(0, (high.get(tp.key) ?? 0) - this.nextFrom.get(tp.key)!));
    const cap = this.rate.cap;
    if (cap && !this.sizeKnown && [...lag.values()].some((l) => l > 0)) {
      // Before any batch said what records weigh, a few are fetched, so the bytes limit holds from the first batch.
      const at = keys.filter((tp) => lag.get(tp.key)! > 0).map((tp) => ({ ...tp, offset: this.nextFrom.get(tp.key)! }));
      const bpr = await this.kafka().sampleRecordBytes(at);
      if (bpr !== undefined) cap.sample(1, bpr);
      this.sizeKnown = bpr !== undefined;
    }
    const { ranges, backlog } = cutRanges(keys, this.nextFrom, high, this.rate.maxMessagesPerPartition(lag));
    for (const r of ranges) {
      const k = tpKey(r.topic, r.partition);
      this.nextFrom.set(k, r.untilOffset);
      if (r.untilOffset > r.fromOffset) this.origins.set(k, 'stream');
    }
    return { ranges, backlog, cap: cap?.records() };
  }

  /** Reads the batch's records, before its output operations run. */
  private async readBatch(time: number): Promise<void> {
    const entry = this.batches.get(time);
    if (!entry) return;
    // The next batch may read now; so may any later one whose earlier batch will not run.
    for (const [t, e] of this.batches) if (t <= time) e.run();
    const ranges = await entry.decided;
    if (!entry.ranges) {
      entry.ranges = ranges;
      entry.rdd.setRanges(ranges);
    }
    this.ownership?.rangesDecided(time, ranges);
    if (!entry.rdd.isLoaded) {
      const { records, bytes } = await (entry.read ?? this.kafka().readSized(ranges, this.readOptions, this.decoders));
      entry.rdd.setRecords(records);
      entry.bytes = bytes;
    }
    // Spark's input info metadata: the batch's ranges, and the latest offsets known (lag = latest − until).
    this.reportRecords(
      time,
      entry.rdd.count(),
      { offsetRanges: ranges, latestOffsets: Object.fromEntries(this.latest) },
      {
        ...(entry.bytes !== undefined ? { bytes: entry.bytes } : {}),
        ...(entry.backlog !== undefined ? { backlog: { records: entry.backlog } } : {}),
      },
    );
  }

  private batchCompleted(time: number, info: CompletedBatchInfo): void {
    completeBatches(this.batches, time, info, this.rate, (e) => {
      for (const r of e.ranges!) {
        const k = tpKey(r.topic, r.partition);
        this.completed.set(k, Math.max(this.completed.get(k) ?? 0, r.untilOffset));
      }
    });
  }

  override clearMetadata(time: number): void {
    super.clearMetadata(time);
    const horizon = time - (this.rememberDuration ?? this.slideDuration);
    for (const t of this.capsInForce.keys()) if (t <= horizon) this.capsInForce.delete(t);
  }

  // ---- offsets to Kafka ---------------------------------------------------------------------

  /**
   * Commits the ends of `offsetRanges` to the consumer group `group.id` (Spark's
   * CanCommitOffsets.commitAsync). Commits happen in call order; the promise resolves once
   * Kafka has them (kafkajs admin `fetchOffsets` shows them then). Usually called at the end of
   * an output operation with the batch's `rdd.offsetRanges()`: the offsets Kafka holds then
   * trail what the outputs have done, for tools and for restarts without a checkpoint.
   * Scaled out (applicationId), offsets go to the group with each batch's transactions: this
   * only checks the ranges and resolves.
   */
  commitAsync(offsetRanges: readonly OffsetRange[], callback?: (error?: unknown) => void): Promise<void> {
    return this.commits.commitAsync(offsetRanges, callback);
  }

  // ---- Checkpointable -----------------------------------------------------------------------

  checkpointDelta(time: number, _full: boolean): StreamCheckpoint {
    return { meta: positionAfter(this.topics, time, this.completed, this.batches) };
  }

  /** The position after the last completed batch and the ranges of every batch decided since. */
  generatedPosition(lastCompletedTime: number): unknown {
    return this.checkpointDelta(lastCompletedTime, false).meta;
  }

  restoreCheckpoint(saved: SavedStreamCheckpoint): void {
    // Scaled out, positions are the group's committed offsets (committed with each batch's transaction).
    if (this.ownership) return;
    const restored = restoredPosition(saved.meta, this.topics);
    if (!restored) return;
    this.restored = restored;
    if (this.started) this.applyRestored(restored);
  }

  private applyRestored(r: DirectKafkaPosition): void {
    const recorded = recordedTopics(r);
    const place = (topic: string, partition: number, start: number): void => {
      const key = tpKey(topic, partition);
      // Recorded, or a partition added to a recorded topic (from its first offset), or where the start rules put it.
      const origin: PositionOrigin =
        key in r.position ? 'checkpoint' : recorded.has(topic) ? 'stream' : (this.startOrigins.get(key) ?? 'stream');
      this.addPartition(topic, partition, start, origin);
    };
    const byRules = (b: PartitionBounds): number => this.startPositions.get(tpKey(b.topic, b.partition)) ?? b.low;
    placeRestored(r, this.topics, this.startBounds, place, this.restoredPending, this.nextFrom, byRules);
  }
}
