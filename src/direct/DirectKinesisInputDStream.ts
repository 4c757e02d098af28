/**
 * A Kinesis stream without a receiver, in the manner of DirectKafkaInputDStream: the driver
 * decides, per shard, the sequence-number range each batch consumes, and the batch's RDD (a
 * KinesisRDD, one partition per shard) holds exactly those records. Kinesis cannot say where a
 * shard ends without reading it, so deciding a range IS reading: the records read then are the
 * batch's, and the range records their first and last sequence numbers.
 *
 * When things happen:
 *  - start(): the stream's shards are listed (a missing stream or an unreachable endpoint fails
 *    start() with an error naming both). Each shard gets a cursor: from the checkpoint when the job
 *    was recovered, else at the initial position — LATEST is pinned as "from the start time"
 *    (AT_TIMESTAMP), so that a crash before the first record loses nothing; closed shards are
 *    done then. With TRIM_HORIZON only shards whose parents are gone or done are read.
 *  - batch generated: first prepareBatch — the batch's ranges are decided, one batch after the
 *    other, for the shards being read then (one RDD partition each): every shard is read from
 *    where the previous batch stopped until caught up (MillisBehindLatest 0), its share of the
 *    cap or one batch duration of reading. The cap is the default one shared by every direct
 *    input (rate/BatchCap.ts: about one batch interval of the rate the job has shown, bounded in
 *    records and bytes; `maxRecordsPerBatch`/`maxBytesPerBatch` replace its bounds), split
 *    equally among the shards (Kinesis cannot say how many records a shard is behind);
 *    `maxRatePerShard` × batch seconds overrides it, backpressure starts from it. Then compute —
 *    the KinesisRDD with its ranges set, so `transform((rdd) => rdd.sequenceNumberRanges())`
 *    works. The decision is checkpointed as soon as it is made (Checkpointable.generatedPosition).
 *  - batch starts running (onBatchGenerated): the records are decoded (a decoder that throws fails
 *    the batch with an error naming the stream, the shard and the sequence number); a recovered batch
 *    re-reads exactly its recorded ranges first.
 *  - batch completed: the position moves past its ranges; the cap and the backpressure
 *    estimator learn from it.
 *  - stop(): the client is closed, which aborts its calls in flight and ends their retries — so
 *    a graceful stop whose gracefulStopTimeout has passed (the context then stops the inputs)
 *    does not wait out `retryTimeout` for every batch still deciding its ranges with Kinesis
 *    unreachable; those batches are not run, and a restart from the checkpoint runs them.
 *
 * The stream's protocol (deciding = reading, recovery, resharding) reads in this file; what a
 * checkpoint records, and reading a recorded range back, in kinesisCheckpoint.ts; the transport
 * in kinesis/.
 *
 * Resharding: a closed shard is read to its end; the batch that reaches it marks it done, and
 * its children are read from their start from the next batch on — parent before child. Once the
 * batch that finished it has completed and all of its listed children are tracked (they have a
 * position, or are finished themselves), a finished shard is forgotten — dropped from the
 * positions and the finished shards the stream keeps and checkpoints — so what is kept stays
 * about one entry per open shard however often the stream is resharded (the KCL deletes such a
 * shard's lease for the same reason). ListShards still lists it until the retention period
 * passes: a listed shard that is not tracked but has a tracked descendant is known to be
 * finished (shards.ts `forgottenAncestors`: a shard is only tracked once its parents are done),
 * and is never read again.
 */
import type { CompletedBatchInfo } from '../context/StreamingListener.js';
import type { Checkpointable, SavedStreamCheckpoint, StreamCheckpoint } from '../dstream/Checkpointable.js';
import type { DStream } from '../dstream/DStream.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { InputDStream } from '../dstream/InputDStream.js';
import type { RDD } from '../rdd/RDD.js';
import { KinesisStreamClient, positionOf, type KinesisReadOptions, type KinesisRecord } from '../kinesis/client.js';
import type { KinesisConnection } from '../kinesis/connection.js';
import { ShardCursor } from '../kinesis/cursor.js';
import { KinesisStreamError } from '../kinesis/errors.js';
import type { InitialPositionInStream } from '../kinesis/InitialPositionInStream.js';
import { childrenCover, childrenOf, compareShardIds, forgottenAncestors, isClosed, parentsDone, type ShardInfo } from '../kinesis/shards.js';
import { KinesisRDD, type SequenceNumberRange } from '../kinesis/KinesisRDD.js';
import { DirectRateController } from '../rate/index.js';
import { completeBatches, type DirectBatchHooks } from './completeBatches.js';
import { positionAfter, readRecordedRange, restoredPosition, type DirectKinesisPosition } from './kinesisCheckpoint.js';

export interface DirectKinesisOptions {
  initialPosition: InitialPositionInStream;
  /** Records per second per shard a batch takes at most (overrides the default cap). */
  maxRatePerShard?: number;
  /** Spark's backpressure: the rate adapts to how fast batches are processed. */
  backpressure?: boolean;
  /** The default cap's bound on a whole batch's records (default 500 000). */
  maxRecordsPerBatch?: number;
  /** The default cap's bound on a whole batch's bytes of record data (default 64 MiB). */
  maxBytesPerBatch?: number;
  read?: KinesisReadOptions;
}

interface BatchEntry<T> {
  rdd: KinesisRDD<T>;
  ranges: SequenceNumberRange[] | undefined;
  ended: string[];
  records: KinesisRecord[][] | undefined;
  decided: Promise<void>;
  /** Bytes of record data read. */
  bytes?: number;
  /** The records limit of the default cap the batch was cut with. */
  cap?: number;
}

export class DirectKinesisInputDStream<T> extends InputDStream<T> implements Checkpointable {
  private client: KinesisStreamClient | undefined;
  private started = false;
  private stopped = false;
  /** The shards of the last listing (closed ones stay listed for the retention period). */
  private listed = new Map<string, ShardInfo>();
  /** Shards being read, each at the position after every range decided so far. */
  private readonly cursors = new Map<string, ShardCursor>();
  /** Shards read to their end by a decided batch and not forgotten yet. */
  private readonly finished = new Set<string>();
  /** The last listing lacked children of a finished shard (decide lists again). */
  private childrenMissing = false;
  /** The position after the completed batches. */
  private readonly completed = new Map<string, string>();
  /** Shards read to their end by a completed batch and not forgotten yet. */
  private readonly completedFinished = new Set<string>();
  private readonly batches = new Map<number, BatchEntry<T>>();
  private chain: Promise<unknown> = Promise.resolve();
  private restored: DirectKinesisPosition | undefined;
  private readonly restoredPending = new Map<number, [SequenceNumberRange[], string[]]>();
  private readonly rate: DirectRateController;

  constructor(
    graph: DStreamGraph,
    readonly streamName: string,
    readonly connection: KinesisConnection,
    private readonly handler: (record: KinesisRecord) => T,
    readonly options: DirectKinesisOptions,
  ) {
    super(graph);
    const maxRate = options.maxRatePerShard;
    this.rate = new DirectRateController(
      {
        maxRatePerPartition: maxRate !== undefined && maxRate > 0 ? maxRate : Infinity,
        minRatePerPartition: 1,
        backpressure: options.backpressure === true,
        initialRate: Infinity,
        pidMinRate: 100,
        batchCap: {
          ...(options.maxRecordsPerBatch !== undefined ? { maxRecords: options.maxRecordsPerBatch } : {}),
          ...(options.maxBytesPerBatch !== undefined ? { maxBytes: options.maxBytesPerBatch } : {}),
        },
      },
      graph.batchDuration,
    );
  }

  override get kind(): string {
    return 'DirectKinesisInputDStream';
  }

  get batchHooks(): DirectBatchHooks {
    return {
      onBatchGenerated: (time) => this.readBatch(time),
      onBatchCompleted: (time, info) => this.batchCompleted(time, info),
    };
  }

  /** foreachRDD whose RDDs are typed as KinesisRDDs, with `sequenceNumberRanges()`. */
  override foreachRDD(f: (rdd: KinesisRDD<T>, time: number) => void | Promise<void>): void {
    super.foreachRDD(f as (rdd: RDD<T>, time: number) => void | Promise<void>);
  }

  override transform<U>(f: (rdd: KinesisRDD<T>, time: number) => RDD<U>): DStream<U> {
    return super.transform(f as (rdd: RDD<T>, time: number) => RDD<U>);
  }

  /** Shard → position after the completed batches (a sequence number: after it). */
  currentPositions(): Map<string, string> {
    return new Map(this.completed);
  }

  get estimatedRate(): number {
    return this.rate.estimatedRate;
  }

  private kinesis(): KinesisStreamClient {
    this.client ??= new KinesisStreamClient(this.streamName, this.connection, this.options.read, () => this.stopped);
    return this.client;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  override async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.kinesis().checkStream();
    const startedAt = Date.now();
    if (this.restored) this.applyRestored(this.restored);
    const shards = await this.kinesis().listShards();
    const fresh = this.restored === undefined;
    this.listed = new Map(shards.map((s) => [s.shardId, s]));
    if (fresh && this.options.initialPosition === 'LATEST') {
      for (const s of shards) {
        if (isClosed(s)) this.markFinished(s.shardId, true);
        else this.addShard(s.shardId, `AT_TIMESTAMP:${startedAt}`);
      }
    }
    this.addReadableShards();
    this.forgetFinished();
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    this.client?.close();
  }

  private addShard(shardId: string, position: string): void {
    if (this.cursors.has(shardId) || this.finished.has(shardId)) return;
    this.cursors.set(shardId, new ShardCursor(this.kinesis(), shardId, positionOf(position)));
    if (!this.completed.has(shardId)) this.completed.set(shardId, position);
  }

  private markFinished(shardId: string, completed: boolean): void {
    this.finished.add(shardId);
    if (this.cursors.delete(shardId)) this.client?.forgetShard(shardId);
    if (completed) this.completedFinished.add(shardId);
  }

  /** Whether the stream keeps anything of a shard: a cursor, a position, or that it is finished. */
  private readonly tracked = (shardId: string): boolean =>
    this.cursors.has(shardId) || this.completed.has(shardId) || this.finished.has(shardId);

  /** Listed shards not read yet whose parents are done (or gone, or forgotten): from their start. */
  private addReadableShards(): void {
    const listed = new Set(this.listed.keys());
    const done = forgottenAncestors(this.listed.values(), this.tracked);
    for (const s of this.finished) done.add(s);
    for (const s of this.listed.values()) {
      if (this.cursors.has(s.shardId) || done.has(s.shardId)) continue;
      if (parentsDone(s, listed, done)) this.addShard(s.shardId, 'TRIM_HORIZON');
    }
  }

  /**
   * Forgets the shards finished by completed batches that are no longer needed: those no longer
   * listed (trimmed), and those whose listed children are all tracked in what the checkpoint
   * carries (a position after the completed batches, or finished by one — or forgotten
   * themselves, with a descendant tracked). The shard stays known as finished: it is an untracked
   * listed ancestor of a tracked shard (forgottenAncestors), in memory as in every checkpoint
   * written from now on.
   */
  private forgetFinished(): void {
    if (this.completedFinished.size === 0) return;
    const carried = (id: string): boolean => this.completed.has(id) || this.completedFinished.has(id);
    const forgotten = forgottenAncestors(this.listed.values(), carried);
    const children = childrenOf(this.listed.values());
    for (const f of [...this.completedFinished]) {
      if (this.listed.has(f)) {
        const kids = children.get(f) ?? [];
        if (kids.length === 0 || !kids.every((c) => carried(c.shardId) || forgotten.has(c.shardId))) continue;
      }
      this.completedFinished.delete(f);
      this.finished.delete(f);
      this.completed.delete(f);
    }
  }

  // ---- batches ------------------------------------------------------------------------------

  /** Decides batch `time`'s ranges (by reading) before it is computed; resolves once they are set. */
  prepareBatch(time: number): Promise<void> | undefined {
    if (!this.started || this.generatedRDDs.has(time) || !this.isTimeValid(time)) return undefined;
    const entry = this.entryFor(time);
    return entry.ranges ? undefined : entry.decided;
  }

  compute(time: number): KinesisRDD<T> {
    if (!this.started) throw new Error('the direct Kinesis stream has not been started');
    const entry = this.entryFor(time);
    this.reportRecords(time, entry.rdd.rangeSize, entry.ranges ? { sequenceNumberRanges: entry.ranges } : undefined);
    return entry.rdd;
  }

  /** Batch `time`'s entry: its recorded ranges after a recovery, else ranges decided after the previous batch's. */
  private entryFor(time: number): BatchEntry<T> {
    const known = this.batches.get(time);
    if (known) return known;
    let entry: BatchEntry<T>;
    const restored = this.restoredPending.get(time);
    if (restored) {
      this.restoredPending.delete(time);
      const [ranges, ended] = restored;
      entry = { rdd: new KinesisRDD<T>(ranges.length), ranges, ended, records: undefined, decided: Promise.resolve() };
      entry.rdd.setRanges(ranges);
    } else {
      this.abandonRestoredBefore(time);
      const keys = [...this.cursors.keys()].sort(compareShardIds);
      entry = { rdd: new KinesisRDD<T>(keys.length), ranges: undefined, ended: [], records: undefined, decided: Promise.resolve() };
      const e = entry;
      const decided = this.chain.then(() => this.decide(keys, e));
      this.chain = decided.catch(() => undefined);
      decided.catch(() => undefined); // awaited by prepareBatch/readBatch; not an unhandled rejection meanwhile
      entry.decided = decided;
    }
    this.batches.set(time, entry);
    return entry;
  }

  /** Restored pending batches that will not be generated again: their records go to the next batch. */
  private abandonRestoredBefore(time: number): void {
    for (const [t, [ranges]] of [...this.restoredPending]) {
      if (t >= time) continue;
      this.restoredPending.delete(t);
      for (const r of ranges) {
        const later = [...this.restoredPending.values()].some(([rs]) => rs.some((x) => x.shardId === r.shardId && x.recordCount > 0));
        if (r.recordCount > 0 && !later) {
          this.finished.delete(r.shardId);
          this.cursors.set(r.shardId, new ShardCursor(this.kinesis(), r.shardId, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: r.fromSeqNumber! }));
        }
      }
    }
  }

  /** Reads the batch's records from each shard's cursor: the batch's ranges. */
  private async decide(keys: readonly string[], entry: BatchEntry<T>): Promise<void> {
    // Kinesis cannot tell how many records a shard is behind: equal shares of the cap.
    const caps = this.rate.maxMessagesPerPartition(new Map(keys.map((k) => [k, 1])));
    const cap = this.rate.cap;
    const bytesPerShard = cap ? cap.bytes() / Math.max(1, keys.length) : Infinity;
    const deadline = Date.now() + this.graph.batchDuration;
    const ended: string[] = [];
    const results = await Promise.all(
      keys.map(async (shardId) => {
        const cursor = this.cursors.get(shardId);
        if (!cursor) return { records: [], bytes: 0 };
        const read = await cursor.readUpTo(caps?.get(shardId) ?? Infinity, deadline, bytesPerShard);
        if (cursor.ended) ended.push(shardId);
        return read;
      }),
    );
    entry.records = results.map((r) => r.records);
    entry.bytes = results.reduce((n, r) => n + r.bytes, 0);
    if (cap) entry.cap = cap.records();
    entry.ranges = keys.map((shardId, i) => rangeOf(this.streamName, shardId, results[i]!.records));
    entry.rdd.setRanges(entry.ranges);
    entry.ended = ended.sort(compareShardIds);
    if (ended.length > 0 || this.childrenMissing) {
      for (const s of ended) this.markFinished(s, false);
      // Children of the shards just finished are read from the next batch on. A listing taken
      // mid-reshard may lack them (the KCL's "incomplete shard list": a closed shard without
      // children): listed again each batch until every finished shard's children cover its keys.
      this.listed = new Map((await this.kinesis().listShards()).map((s) => [s.shardId, s]));
      this.addReadableShards();
      const children = childrenOf(this.listed.values());
      this.childrenMissing = [...this.finished].some((f) => {
        const shard = this.listed.get(f);
        return shard !== undefined && shard.endingSequenceNumber !== undefined && !childrenCover(shard, children.get(f) ?? []);
      });
    }
  }

  /** Before the batch's output operations: its records, decoded (a recovered batch's ranges re-read). */
  private async readBatch(time: number): Promise<void> {
    const entry = this.batches.get(time);
    if (!entry) return;
    await entry.decided;
    if (entry.rdd.isLoaded) return;
    const ranges = entry.ranges!;
    if (!entry.records) {
      const where = `Kinesis stream "${this.streamName}" at ${this.connection.endpointUrl}`;
      entry.records = await Promise.all(ranges.map((r) => readRecordedRange(this.kinesis(), r, where)));
      entry.bytes = entry.records.reduce((n, part) => part.reduce((m, r) => m + r.data.byteLength, n), 0);
    }
    entry.rdd.setRecords(entry.records.map((part) => part.map((r) => this.decode(r))));
    // Listeners (streamIdToInputInfo) and the web UI see where the batch's records came from and how far behind each shard is.
    const behind = Object.fromEntries([...this.cursors].map(([id, c]) => [id, c.millisBehindLatest]));
    this.reportRecords(time, entry.rdd.count(), { sequenceNumberRanges: ranges, millisBehindLatest: behind }, entry.bytes !== undefined ? { bytes: entry.bytes } : undefined);
  }

  /** One record through the decoder (or messageHandler); one that throws fails the batch, naming the record. */
  private decode(r: KinesisRecord): T {
    try {
      return this.handler(r);
    } catch (e) {
      throw new KinesisStreamError(
        `Kinesis stream "${this.streamName}": the decoder failed on the record of shard ${r.shardId} at sequence number ${r.sequenceNumber}: ` +
          (e instanceof Error ? e.message : String(e)),
        e,
      );
    }
  }

  private batchCompleted(time: number, info: CompletedBatchInfo): void {
    completeBatches(this.batches, time, info, this.rate, (e) => {
      for (const r of e.ranges!) if (r.recordCount > 0) this.completed.set(r.shardId, r.toSeqNumber!);
      for (const s of e.ended) this.completedFinished.add(s);
    });
    this.forgetFinished();
  }

  // ---- Checkpointable -----------------------------------------------------------------------

  checkpointDelta(time: number, _full: boolean): StreamCheckpoint {
    return { meta: positionAfter(this.streamName, time, this.completed, this.completedFinished, this.batches) };
  }

  generatedPosition(lastCompletedTime: number): unknown {
    return this.checkpointDelta(lastCompletedTime, false).meta;
  }

  restoreCheckpoint(saved: SavedStreamCheckpoint): void {
    const restored = restoredPosition(saved.meta, this.streamName);
    if (!restored) return;
    this.restored = restored;
    if (this.started) this.applyRestored(this.restored);
  }

  private applyRestored(r: DirectKinesisPosition): void {
    for (const s of r.finished) this.markFinished(s, true);
    for (const [shardId, pos] of Object.entries(r.position)) {
      this.cursors.delete(shardId);
      this.completed.set(shardId, pos);
      this.addShard(shardId, pos);
    }
    this.restoredPending.clear();
    for (const [t, ranges, ended] of r.pending) {
      this.restoredPending.set(t, [ranges, ended ?? []]);
      for (const x of ranges) {
        if (x.recordCount > 0 && !this.finished.has(x.shardId)) {
          this.cursors.set(x.shardId, new ShardCursor(this.kinesis(), x.shardId, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: x.toSeqNumber! }));
        }
      }
      for (const s of ended ?? []) this.markFinished(s, false);
    }
  }
}

function rangeOf(streamName: string, shardId: string, recs: readonly KinesisRecord[]): SequenceNumberRange {
  if (recs.length === 0) return { streamName, shardId, recordCount: 0 };
  return { streamName, shardId, fromSeqNumber: recs[0]!.sequenceNumber, toSeqNumber: recs[recs.length - 1]!.sequenceNumber, recordCount: recs.length };
}
