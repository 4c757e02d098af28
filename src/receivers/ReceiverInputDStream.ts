import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { RECEIVED_DATA_DIR } from '../util/checkpointDir.js';
import type { SavedStreamCheckpoint, StreamCheckpoint, Checkpointable } from '../dstream/Checkpointable.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { InputDStream } from '../dstream/InputDStream.js';
import { LineBlock, LinesRDD } from '../rdd/LinesRDD.js';
import { RDD } from '../rdd/RDD.js';
import type { Block } from './BlockGenerator.js';
import { resolveReceiverOptions, type ReceiverStreamOptions, type ResolvedReceiverOptions } from './options.js';
import { BatchCap } from '../rate/BatchCap.js';
import { PIDRateEstimator } from '../rate/PIDRateEstimator.js';
import { LogReplay } from './LogReplay.js';
import type { Receiver } from './Receiver.js';
import { ReceiverSupervisor, type ReceiverEnvironment } from './ReceiverSupervisor.js';
import { FileWriteAheadLog } from './WriteAheadLog.js';

/** The facts of a completed batch the receiver machinery uses (a subset of CompletedBatchInfo). */
export interface CompletedBatchFacts {
  processingDelay: number;
  schedulingDelay: number;
  processingEndTime?: number;
}

/** The shape of the scheduler's BatchHooks this stream takes part in. */
export interface ReceiverBatchHooks {
  onBatchCompleted(time: number, info: CompletedBatchFacts): Promise<void>;
}

/**
 * The position a receiver stream writes into each completed batch's checkpoint commit:
 * `position` is the last block id consumed by batches up to that batch; `pending` the block id
 * ranges already allocated to batches generated but not yet completed then ([time, first, last]).
 * On recovery, blocks after `position` are replayed from the write-ahead log, pending ones into
 * the same batches.
 */
export interface ReceiverPosition {
  position: number;
  pending: Array<[number, number, number]>;
  /**
   * Batches generated with no block and not completed then: they re-run empty. Without this a
   * re-run empty batch took the log's next blocks, ahead of a pending batch's lower ids, and the
   * position after it skipped those (absent in checkpoints of older versions).
   */
  empty?: number[];
  /**
   * The run that wrote it had the write-ahead log on: a job resumed from it keeps the log on,
   * whatever its options say (Spark restores its configuration from the checkpoint), so the
   * blocks logged and not yet processed are read (absent in checkpoints of older versions).
   */
  wal?: true;
  /**
   * Wall-clock ms the input first started (Receiver.firstStartedAt): kept from run to run, so a
   * receiver reading "from now on" (Kinesis at LATEST) starts again from the first run's start
   * (absent in checkpoints of older versions: the run's own start).
   */
  startedAt?: number;
}

/** The write-ahead log directory of input stream `streamId` under a checkpoint directory. */
export function receivedDataDir(checkpointDir: string, streamId: number): string {
  return path.join(checkpointDir, RECEIVED_DATA_DIR, String(streamId));
}

/**
 * Spark's ReceiverInputDStream with its ReceivedBlockTracker: the input stream of a receiver.
 * Blocks stored up to batch time t become batch t's RDD, one partition per block, each block in
 * exactly one batch, in order. Without a write-ahead log the block being filled is cut when a
 * batch takes its blocks, so everything stored by then is in the batch; with the log only
 * blocks already durable are (the rest go to the next batch). After a crash, the logged blocks
 * no completed batch took are replayed (LogReplay) into batches of bounded size (the default
 * cap, rate/BatchCap.ts); blocks of the batches recorded as pending go to those batches as they were.
 *
 * With the log on, the blocks a batch takes are recorded as soon as it is generated
 * (`generatedPosition`, committed by Checkpointer.commitGenerated before the batch's output
 * operations run), as Spark's ReceivedBlockTracker writes each batch's allocation to its log: a
 * batch re-run after a crash holds exactly the blocks it held the first time, never the ones
 * logged while it ran. Without the log nothing is replayable, and nothing is recorded per batch.
 */
export class ReceiverInputDStream<T> extends InputDStream<T> implements Checkpointable {
  readonly receiver: Receiver<T>;
  readonly name: string;
  readonly settings: ResolvedReceiverOptions;
  private readonly supervisor: ReceiverSupervisor<T>;
  /** Blocks stored and not yet given to a batch, in id order. */
  private readonly unallocated: Block<T>[] = [];
  /** Blocks given to batches that have not completed yet, by batch time. */
  private readonly allocations = new Map<number, Block<T>[]>();
  /** Replayed blocks reserved for the pending batches they belonged to before a crash. */
  private readonly reserved = new Map<number, Block<T>[]>();
  /** Last block id consumed by completed batches. */
  private position = -1;
  /** Positions of the checkpoint commits queued and not yet written, by batch time. */
  private readonly queuedPositions = new Map<number, number>();
  /** The position of the last written checkpoint commit: the log keeps every block after it. */
  private committedPosition = -1;
  private checkpointing = false;
  private restored: ReceiverPosition | undefined;
  /** Wall-clock ms this input first started (ReceiverPosition.startedAt); set at start unless restored. */
  private startedAt: number | undefined;
  private wal: FileWriteAheadLog<T> | undefined;
  /** The write-ahead log's blocks still to replay after a crash; undefined once done. */
  private replaying: LogReplay<T> | undefined;
  /** The default cap of replayed batches. */
  private readonly replayCap: BatchCap;
  /** Replayed batches not completed yet: records, bytes, the records limit they were cut with. */
  private readonly replayCuts = new Map<number, { records: number; bytes: number; cap: number }>();
  private replayedBefore = 0;
  private readonly estimator: PIDRateEstimator | undefined;
  private started = false;
  /** Records replayed from the write-ahead log at recovery (figures, tests). */
  get replayedRecords(): number {
    return this.replayedBefore + (this.replaying?.replayedRecords ?? 0);
  }

  constructor(
    graph: DStreamGraph,
    receiver: Receiver<T>,
    private readonly env: ReceiverEnvironment,
    options: ReceiverStreamOptions = {},
  ) {
    if (!(receiver && typeof receiver.onStart === 'function' && typeof receiver.onStop === 'function')) {
      throw new TypeError('receiverStream needs a Receiver (with onStart and onStop)');
    }
    if (receiver.attached) throw new Error('a Receiver can feed only one input stream');
    const settings = resolveReceiverOptions(env.options, options);
    super(graph);
    this.receiver = receiver;
    this.settings = settings;
    this.name = options.name ?? `${receiver.constructor.name}-${this.id}`;
    this.supervisor = new ReceiverSupervisor<T>(receiver, this.id, this.name, this.settings, env, (b) =>
      this.unallocated.push(b),
    );
    if (this.settings.backpressure) {
      this.estimator = new PIDRateEstimator(graph.batchDuration, this.settings.pid);
    }
    if (this.settings.writeAheadLog) {
      graph.requireCheckpoint('the receiver write-ahead log (receiverWriteAheadLog)');
      this.generatedPosition = this.positionAfter;
    }
    // Without the log nothing is recorded before a batch completes, but such a receiver's start
    // time. Always a function, so that a job resumed from a first run's start record with the
    // option off is given that run's position (restoreStart passes it only to inputs that have
    // one), its log turned on and read (start() refuses a log no resumed record refers to).
    this.startingPosition = () =>
      this.receiver.keepsStartTime || this.settings.writeAheadLog ? this.positionAfter(-Infinity) : undefined;
    this.replayCap = new BatchCap(graph.batchDuration);
  }

  /** The hooks the context registers with its scheduler (ssc.addBatchHooks). */
  get batchHooks(): ReceiverBatchHooks {
    return { onBatchCompleted: (time, info) => this.onBatchCompleted(time, info) };
  }

  /** The receiver's current rate limit in records/s (Infinity: none). */
  get rateLimit(): number {
    return this.supervisor.rate;
  }

  /** Figures about what the receiver did. */
  get stats(): { received: number; stored: number; restarts: number; rate: number; walBytes: number } {
    return {
      received: this.supervisor.recordsReceived,
      stored: this.supervisor.recordsStored,
      restarts: this.supervisor.restarts,
      rate: this.supervisor.rate,
      walBytes: this.wal?.bytesWritten ?? 0,
    };
  }

  /** The write-ahead log, when on and started (tests). */
  get writeAheadLog(): FileWriteAheadLog<T> | undefined {
    return this.wal;
  }

  /**
   * Set while the write-ahead log is on (Checkpointable.generatedPosition): the position after
   * batch `lastCompletedTime`, every batch generated since with its blocks. An own property, so
   * the checkpointer makes no per-batch commit for a receiver without the log.
   */
  generatedPosition?: (lastCompletedTime: number) => ReceiverPosition;

  /**
   * Checkpointable's startingPosition, for a receiver that keeps its start time
   * (Receiver.keepsStartTime) or with the log on: a crash before the first batch completed
   * restarts it from the same time, with the blocks logged (undefined otherwise: nothing to record).
   */
  startingPosition: () => ReceiverPosition | undefined;

  /**
   * Turns the write-ahead log on against the options: the checkpoint (or first run's start
   * record) resumed from was written with it on, or the log directory of a resumed job holds
   * blocks (a checkpoint of an older version). Without it those blocks — stored, store()
   * resolved — would be dropped.
   */
  private enableWriteAheadLog(why: string): void {
    if (this.settings.writeAheadLog) return;
    this.settings.writeAheadLog = true;
    this.generatedPosition = this.positionAfter;
    console.warn(`dstreams: ${this.name}: the receiver write-ahead log stays on (receiverWriteAheadLog): ${why}`);
  }

  /** This stream's log directory under the checkpoint directory when it holds a log segment, else undefined. */
  private async segmentedLog(): Promise<string | undefined> {
    const dir = this.env.checkpointDir();
    if (dir === undefined) return undefined;
    const logDir = receivedDataDir(dir, this.id);
    try {
      return (await fsp.readdir(logDir)).some((n) => n.startsWith('log-')) ? logDir : undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  override async start(): Promise<void> {
    if (this.started) return;
    const logged = await this.segmentedLog();
    // getOrCreate over a first run killed before its start record was written (the receivers
    // had stored): its log is that run's, read as before, from the start.
    if (this.restored === undefined && logged !== undefined && this.env.resumes?.() !== true) {
      // Spark's ReceivedBlockTracker reads its log only when the context recovers from a
      // checkpoint. The blocks were stored (store() resolved, a source acknowledged them) and no
      // batch processed them: replaying them into a job they may not belong to, or dropping them,
      // are both wrong, so the start is refused, as a store holding a completed batch is.
      throw new Error(
        `checkpoint directory ${this.env.checkpointDir()} holds a receiver write-ahead log (${logged}) that no checkpoint this context resumes refers to: ` +
          `records a run stored and never processed. Resume that run with StreamingContext.getOrCreate(dir, create) and the same input streams, ` +
          'use an empty directory, or remove that log to drop those records',
      );
    }
    this.started = true;
    this.startedAt ??= Date.now();
    let firstId = 0;
    if (!this.settings.writeAheadLog && logged !== undefined) {
      this.enableWriteAheadLog(`${logged} holds blocks a run with the log on stored`);
    }
    if (this.settings.writeAheadLog) {
      const dir = this.env.checkpointDir();
      if (dir === undefined) {
        throw new Error('the receiver write-ahead log needs a checkpoint directory: call ssc.checkpoint(dir) before start()');
      }
      this.wal = await FileWriteAheadLog.open<T>(receivedDataDir(dir, this.id));
      firstId = this.wal.maxRecoveredId + 1;
      // Without a restored position no batch of this stream ever completed (each completed batch
      // commits one): a resumed job's log holds what was stored and never processed, replayed all.
      const r = this.restored ?? { position: -1, pending: [] };
      // A batch re-runs with the blocks it had (Spark's ReceivedBlockTracker): none, for these.
      for (const t of r.empty ?? []) this.reserved.set(t, []);
      this.replaying = new LogReplay<T>(this.wal, r.position, r.pending, this.reserved);
      await this.replaying.fill(-Infinity, this.replayCap.records());
    }
    if (this.restored) firstId = Math.max(firstId, this.restored.position + 1);
    await this.supervisor.start(firstId, this.wal, this.startedAt);
  }

  /** Graceful stop: the receiver stops and its last records become a block for the final batch. */
  async stopReceiving(): Promise<void> {
    if (this.started) await this.supervisor.stop();
  }

  override async stop(): Promise<void> {
    if (!this.started) return;
    await this.supervisor.stop();
    await this.wal?.close();
  }

  /** While replaying the log: loads the blocks batch `time` needs (LogReplay.fill). */
  prepareBatch(time: number): Promise<void> | undefined {
    return this.replaying?.fill(time, this.replayCap.records());
  }

  compute(time: number): RDD<T> {
    // A receiver that failed on the job's own code: the batch fails with it, and so the context.
    if (this.supervisor.fatal) throw this.supervisor.fatal;
    if (!this.settings.writeAheadLog) this.supervisor.flush();
    let blocks: Block<T>[] = [];
    // Replayed blocks of batches that will not be generated again go first, in time order.
    for (const t of [...this.reserved.keys()].sort((a, b) => a - b)) {
      if (t >= time) break;
      blocks.push(...this.reserved.get(t)!);
      this.reserved.delete(t);
    }
    const mine = this.reserved.get(time);
    let backlog: { bytes: number } | undefined;
    if (mine) {
      this.reserved.delete(time);
      blocks.push(...mine);
    } else if (this.replaying && !this.replaying.done) {
      // Catching up on the log: at most the cap; what was received meanwhile waits behind it.
      const cap = this.replayCap.records();
      const taken = this.replaying.take(cap);
      blocks.push(...taken.blocks);
      let n = 0;
      for (const b of taken.blocks) n += b.records.length;
      this.replayCuts.set(time, { records: n, bytes: taken.bytes, cap });
      backlog = { bytes: this.replaying.backlogBytes };
      // The log's last blocks: what was received meanwhile comes right behind them, as without a replay.
      if (this.replaying.done) blocks.push(...this.unallocated.splice(0));
    } else {
      if (this.replaying) {
        this.replayedBefore += this.replaying.replayedRecords;
        this.replaying = undefined;
      }
      blocks.push(...this.unallocated.splice(0));
    }
    const prev = this.allocations.get(time);
    if (prev) blocks = prev.concat(blocks);
    this.allocations.set(time, blocks);
    if (blocks.length > 0 && blocks[0]!.records[0] instanceof LineBlock) {
      // A receiver storing line blocks (SocketReceiver's lineBlocks mode): the lines stay bytes.
      const rdd = new LinesRDD(blocks.map((b) => b.records as unknown as LineBlock[]));
      this.reportRecords(time, rdd.count());
      return rdd as unknown as RDD<T>;
    }
    let n = 0;
    for (const b of blocks) n += b.records.length;
    const cut = this.replayCuts.get(time);
    this.reportRecords(time, n, undefined, cut ? { bytes: cut.bytes, backlog } : undefined);
    return RDD.fromPartitions(blocks.map((b) => b.records));
  }

  /** The records limit a replayed batch was cut with, until it completes (tests). */
  replayCapOf(time: number): number | undefined {
    return this.replayCuts.get(time)?.cap;
  }

  private async onBatchCompleted(time: number, info: CompletedBatchFacts): Promise<void> {
    for (const [t, c] of [...this.replayCuts]) {
      if (t > time) continue;
      if (t === time) this.replayCap.observe(c.records, c.bytes, info.processingDelay, c.cap);
      this.replayCuts.delete(t);
    }
    const safe = this.position;
    let records = 0;
    for (const [t, blocks] of this.allocations) {
      if (t > time) continue;
      for (const b of blocks) {
        if (b.id > this.position) this.position = b.id;
        if (t === time) records += b.records.length;
      }
      this.allocations.delete(t);
    }
    if (this.estimator) {
      const rate = this.estimator.compute(
        info.processingEndTime ?? this.env.now(),
        records,
        info.processingDelay,
        info.schedulingDelay,
      );
      if (rate !== undefined) this.supervisor.updateRate(rate);
    }
    // Blocks of completed batches are no longer needed once a checkpoint holding them is written
    // (checkpointWritten: commits are written after the batch completes, possibly a few later).
    if (this.wal) {
      const upTo = this.checkpointing ? Math.min(safe, this.committedPosition) : safe;
      if (upTo >= 0) await this.wal.cleanup(upTo);
    }
  }

  // ---- Checkpointable -----------------------------------------------------------------------

  checkpointDelta(time: number, _full: boolean): StreamCheckpoint {
    this.checkpointing = true;
    const meta = this.positionAfter(time);
    this.queuedPositions.set(time, meta.position);
    return { meta };
  }

  /**
   * The position after batch `time`: the last block of the batches up to it, the blocks of each
   * later batch generated so far (pending, or empty). No side effect.
   */
  private readonly positionAfter = (time: number): ReceiverPosition => {
    let position = this.position;
    const pending: Array<[number, number, number]> = [];
    const empty: number[] = [];
    for (const [t, blocks] of this.allocations) {
      if (blocks.length === 0) {
        if (t > time) empty.push(t);
        continue;
      }
      const first = blocks[0]!.id;
      const last = blocks[blocks.length - 1]!.id;
      if (t <= time) position = Math.max(position, last);
      else pending.push([t, first, last]);
    }
    pending.sort((a, b) => a[0] - b[0]);
    const meta: ReceiverPosition = empty.length > 0 ? { position, pending, empty: empty.sort((a, b) => a - b) } : { position, pending };
    if (this.settings.writeAheadLog) meta.wal = true;
    if (this.startedAt !== undefined && this.receiver.keepsStartTime) meta.startedAt = this.startedAt;
    return meta;
  };

  /** The commit of batch `time` is written: the blocks up to its position may be cleaned from the log. */
  checkpointWritten(time: number): void {
    for (const [t, position] of this.queuedPositions) {
      if (t > time) break;
      this.committedPosition = Math.max(this.committedPosition, position);
      this.queuedPositions.delete(t);
    }
  }

  async restoreCheckpoint(saved: SavedStreamCheckpoint): Promise<void> {
    const meta = saved.meta as Partial<ReceiverPosition> | undefined;
    if (!meta || typeof meta.position !== 'number') return;
    const restored: ReceiverPosition = {
      position: meta.position,
      pending: Array.isArray(meta.pending) ? meta.pending : [],
      empty: Array.isArray(meta.empty) ? meta.empty : [],
    };
    if (this.started) throw new Error(`${this.name}: restoreCheckpoint must come before the input starts`);
    if (meta.wal === true) this.enableWriteAheadLog('the checkpoint resumed from was written with it on');
    if (typeof meta.startedAt === 'number' && Number.isFinite(meta.startedAt)) this.startedAt = meta.startedAt;
    this.restored = restored;
    this.position = Math.max(this.position, restored.position);
    this.committedPosition = Math.max(this.committedPosition, restored.position);
  }
}
