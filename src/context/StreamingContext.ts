/**
 * StreamingContext, the top of the engine. Over 400 lines on purpose: it is the public facade
 * of Spark's StreamingContext — lifecycle (start, stop, awaitTermination, getOrCreate) and a
 * creator for every core input stream — and delegates the work (JobScheduler, Checkpointer,
 * ListenerBus, the receivers) to the modules beside it: its options are in options.ts, where
 * its batches fall on the time axis in batchGrid.ts.
 */
import { resolve as resolvePath } from 'node:path';
import { EMPTY, type Observable } from 'rxjs';
// Every operation a DStream has is attached by these modules (one file per operator, declaration
// merging). Every stream belongs to a context, so loading them here means no DStream exists
// without all of its methods, whatever a job imported.
import '../dstream/index.js';
import '../window/index.js';
import '../state/index.js';
import { ScaleOut } from '../scaleout/index.js';
import { DStream } from '../dstream/DStream.js';
import { DStreamGraph } from '../dstream/DStreamGraph.js';
import { QueueInputDStream } from '../dstream/QueueInputDStream.js';
import { RateInputDStream, type RateStreamOptions } from '../dstream/RateInputDStream.js';
import { TransformedDStream } from '../dstream/operators/transform.js';
import { UnionDStream } from '../dstream/operators/union.js';
import { fn as fnArg, stream as streamArg } from '../dstream/operators/args.js';
import { described } from '../rdd/checks.js';
import { RDD } from '../rdd/RDD.js';
import {
  checkReceiverContextOptions,
  resolveReceiverOptions,
  FileInputDStream,
  ReceiverInputDStream,
  SocketReceiver,
  type FileStreamOptions,
  type Receiver,
  type ReceiverContextOptions,
  type ReceiverEnvironment,
  type ReceiverStreamOptions,
  type SocketStreamOptions,
} from '../receivers/index.js';
import {
  Checkpointer,
  CheckpointStore,
  describeStream,
  firstRunGrid,
  streamKey,
  type FirstRunGrid,
  type CheckpointerOptions,
  type CheckpointMeta,
  type RestorePlan,
  type StartRecord,
} from '../checkpoint/index.js';
import { describeFailure, oneLineFailures } from '../util/causeChain.js';
import { checkDuration, type Duration } from '../util/duration.js';
import { settlesWithin } from '../util/sleep.js';
import { runShuffles } from '../workers/shuffles.js';
import { defaultWorkers, WorkerPool, type JobRef } from '../workers/WorkerPool.js';
import { batchGrid } from './batchGrid.js';
import { isPoolThread } from './poolThread.js';
import { ManualClock, SystemClock, type Clock } from './Clock.js';
import { errorMessage, JobScheduler, type BatchHooks } from './JobScheduler.js';
import { ListenerBus } from './ListenerBus.js';
import type { ContextAttachment } from './attachments.js';
import { checkOptionNames, type GetOrCreateOptions, type StreamingContextOptions, type StreamingContextState } from './options.js';
import type { PartitionsAssignedInfo, StreamingEvent, StreamingListener } from './StreamingListener.js';

/** A failure as the context logs it: with its stack, or on one line under `dstreams run` (oneLineFailures). */
const loggedError = (e: unknown): string => (oneLineFailures() ? describeFailure(e) : errorMessage(e));

export type AttachmentFactory = (ssc: StreamingContext, options: StreamingContextOptions) => ContextAttachment | undefined;
const attachmentFactories = new Map<string, AttachmentFactory>();

/**
 * The entry point: holds the DStream graph, cuts a batch every `batchDuration` and runs its
 * output operations, one batch at a time in time order.
 */
export class StreamingContext {
  readonly appName: string;
  readonly clock: Clock;
  readonly graph: DStreamGraph;
  private readonly bus: ListenerBus;
  private readonly scheduler: JobScheduler;
  private stopTimer: (() => void) | undefined;
  private failure: { error: unknown } | undefined;
  private stopping: Promise<void> | undefined;
  /**
   * The first start(), running or done: a second start() returns it. Undefined before one, and
   * again after a start refused before the context started (no output yet, say), which may be retried.
   */
  private started: Promise<void> | undefined;
  private warnedStartedTwice = false;
  /** The open checkpoint store (from start() or getOrCreate), and what it recovered, if anything. */
  private checkpointer: Checkpointer | undefined;
  private recovered: { meta: CheckpointMeta; plan: RestorePlan; skipMissedBatches: boolean } | undefined;
  /** Made by getOrCreate: the context resumes its checkpoint directory, whatever it holds. */
  private resumes = false;
  /**
   * @internal Set before start() when this run's state is seeded from results up to that batch
   * (resumeFromSink starting from a sink's table): its start record says so, and a restart does
   * not re-run its batches from empty state.
   */
  seededFrom: number | undefined;
  /** getOrCreate over a store whose first run completed no batch: where its inputs started (startRecord.ts). */
  private startFrom: { record: StartRecord; log: (line: string) => void; skipMissedBatches: boolean } | undefined;
  private compaction: Promise<void> | undefined;
  private readonly overlapCheckpointWrites: boolean;
  /** Spark's spark.streaming.gracefulStopTimeout: how long a graceful stop waits for the batches due. */
  private readonly gracefulStopTimeoutMs: number;
  private readonly termination: Promise<void>;
  /** Whether someone awaits the termination (else a failure is logged), and whether it has settled. */
  private awaited = false;
  private settled = false;
  private resolveTermination!: () => void;
  private rejectTermination!: (e: unknown) => void;
  private readonly receiverOptions: ReceiverContextOptions;
  private readonly attachments: ContextAttachment[];
  private checkpointWriteMs: number | undefined;
  private readonly scaleOut: ScaleOut | undefined;
  /** The job's module and the pool's size, when the job runs on a worker pool (jobs with a module, workers > 1). */
  private readonly pooled: { job: JobRef; workers: number } | undefined;
  private pool: WorkerPool | undefined;

  constructor(options: StreamingContextOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('new StreamingContext({ batchDuration }) needs an options object');
    }
    checkOptionNames(options);
    this.graph = new DStreamGraph(options.batchDuration, options.defaultParallelism ?? 2);
    this.appName = options.appName ?? 'dstreams';
    this.overlapCheckpointWrites = options.overlapCheckpointWrites ?? true;
    this.gracefulStopTimeoutMs =
      options.gracefulStopTimeout === undefined ? 10 * this.graph.batchDuration : checkDuration(options.gracefulStopTimeout, 'gracefulStopTimeout');
    this.receiverOptions = checkReceiverContextOptions(options);
    const workers = options.workers ?? (options.job ? defaultWorkers() : 1);
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers must be a positive integer, got ${workers}`);
    this.pooled = options.job && workers > 1 ? { job: options.job, workers } : undefined;
    this.clock = options.clock ?? new SystemClock();
    this.bus = new ListenerBus((e) => this.fail(e));
    this.scheduler = new JobScheduler(
      this.graph,
      this.clock,
      this.bus,
      (e) => this.fail(e),
      !(this.clock instanceof ManualClock),
    );
    this.termination = new Promise<void>((resolve, reject) => {
      this.resolveTermination = resolve;
      this.rejectTermination = reject;
    });
    // awaitTermination may never be called; the failure is still reported to listeners.
    this.termination.catch(() => undefined);
    if (options.checkpointDir !== undefined) this.checkpoint(options.checkpointDir);
    if (options.applicationId !== undefined) {
      this.scaleOut = new ScaleOut(this.graph, options.applicationId, {
        addBatchHooks: (hooks) => this.addBatchHooks(hooks),
        post: (info) => this.bus.post({ type: 'partitionsAssigned', info }),
        fail: (e) => this.fail(e),
        log: (m) => console.error(`[dstreams ${options.applicationId}] ${m}`),
      }, options.standbyReplicas ?? 0);
    } else if (options.standbyReplicas !== undefined) {
      throw new TypeError('standbyReplicas needs an applicationId (it is a scale-out option)');
    }
    if (options.ui && !attachmentFactories.has('ui')) {
      throw new Error("the ui option needs the web UI module: import StreamingContext from 'dstreams' (the package entry)");
    }
    this.attachments = [];
    for (const create of attachmentFactories.values()) {
      const a = create(this, options);
      if (a) this.attachments.push(a);
    }
  }

  /** The scaled-out job's id (context option), if it has one. */
  get applicationId(): string | undefined {
    return this.scaleOut?.applicationId;
  }

  /** Scale-out: this copy's partitions after every rebalance; completes at once without an applicationId. */
  get assignment$(): Observable<PartitionsAssignedInfo> {
    return this.scaleOut?.assignment$ ?? EMPTY;
  }

  /** For edge modules (the web UI): attach to every context created from now on, when `create` says so (see attachments.ts). */
  static registerAttachment(name: string, create: AttachmentFactory): void {
    attachmentFactories.set(name, create);
  }

  /** The web UI's address once started; undefined without a UI. */
  get uiWebUrl(): string | undefined {
    for (const a of this.attachments) if (a.webUrl !== undefined) return a.webUrl;
    return undefined;
  }

  /** How long the last completed batch's checkpoint commit took (ms); undefined before one, or without checkpoints. */
  get lastCheckpointWriteMs(): number | undefined {
    return this.checkpointWriteMs;
  }

  get batchDuration(): Duration {
    return this.graph.batchDuration;
  }

  get state(): StreamingContextState {
    return this.graph.lifecycle;
  }

  /** Every streaming event, as an RxJS Observable; completes when the context stops. */
  get events$(): Observable<StreamingEvent> {
    return this.bus.events$;
  }

  get checkpointDir(): string | undefined {
    return this.graph.checkpointDir;
  }

  checkpoint(dir: string): void {
    if (typeof dir !== 'string' || dir === '') throw new TypeError('checkpoint(dir) needs a directory path');
    this.graph.assertMutable('a checkpoint directory');
    this.graph.checkpointDir = dir;
  }

  remember(duration: Duration): void {
    this.graph.assertMutable('a remember duration');
    this.graph.remember(duration);
  }

  addStreamingListener(listener: StreamingListener): void {
    this.bus.add(listener);
  }

  /** For the checkpoint and receiver machinery: take part in each batch's life. */
  addBatchHooks(hooks: BatchHooks): void {
    this.scheduler.addHooks(hooks);
  }

  // ---- inputs ------------------------------------------------------------------------------

  queueStream<T>(queue: Array<T[] | RDD<T>>, oneAtATime = true, defaultRDD?: RDD<T>): DStream<T> {
    if (!Array.isArray(queue)) throw new TypeError('queueStream needs an array (the queue)');
    // The elements there now are checked now; those pushed later, when their batch takes them.
    queue.forEach((e, i) => {
      if (!Array.isArray(e) && !(e instanceof RDD)) throw new TypeError(`queueStream elements must be arrays or RDDs, got ${described(e)} at index ${i}`);
    });
    if (typeof oneAtATime !== 'boolean') throw new TypeError(`queueStream's oneAtATime must be a boolean, got ${typeof oneAtATime}`);
    if (defaultRDD !== undefined && !(defaultRDD instanceof RDD)) {
      throw new TypeError(`queueStream's defaultRDD must be an RDD (RDD.fromArray(...) for an array), got ${Array.isArray(defaultRDD) ? 'an array' : typeof defaultRDD}`);
    }
    return new QueueInputDStream(this.graph, queue, oneAtATime, defaultRDD);
  }

  /** A replayable input whose batches are a pure function of their time (Structured Streaming's `rate`). */
  rateStream<T = number>(options: RateStreamOptions<T> = {}): DStream<T> {
    return new RateInputDStream<T>(this.graph, options);
  }

  /** Lines of text from a TCP server, one record per line (UTF-8, `\n`-delimited); reconnects when the server goes away. */
  socketTextStream(host: string, port: number, options?: SocketStreamOptions): DStream<string> {
    // On a worker pool the lines stay bytes until a thread decodes them, unless the receiver
    // counts records as they come in (a rate limit) or logs them (the write-ahead log).
    const r = resolveReceiverOptions(this.receiverOptions, options);
    const lineBlocks = this.pooled !== undefined && !r.writeAheadLog && !r.backpressure && !Number.isFinite(r.maxRate);
    return this.receiverStream(new SocketReceiver(host, port, { ...options, lineBlocks }), options);
  }

  /** Lines of the files that appear in `directory` (moved in atomically), each file read once. */
  textFileStream(directory: string, options?: FileStreamOptions): DStream<string> {
    const stream = new FileInputDStream(this.graph, directory, options);
    this.addBatchHooks(stream.batchHooks);
    return stream;
  }

  /** The records a custom Receiver stores, cut into blocks; the blocks of a batch are its RDD's partitions. */
  receiverStream<T>(receiver: Receiver<T>, options?: ReceiverStreamOptions): ReceiverInputDStream<T> {
    const env: ReceiverEnvironment = {
      options: this.receiverOptions,
      checkpointDir: () => this.graph.checkpointDir,
      resumes: () => this.resumes,
      now: () => this.clock.getTimeMillis(),
      post: (event) => this.bus.post(event),
    };
    const stream = new ReceiverInputDStream<T>(this.graph, receiver, env, options);
    this.addBatchHooks(stream.batchHooks);
    return stream;
  }

  union<T>(...streams: DStream<T>[]): DStream<T> {
    for (const s of streams) streamArg('ssc.union', s);
    return new UnionDStream(streams);
  }

  transform<T>(streams: DStream<any>[], fn: (rdds: RDD<any>[], time: number) => RDD<T>): DStream<T> {
    if (!Array.isArray(streams)) throw new TypeError(`ssc.transform needs an array of DStreams, got ${described(streams)}`);
    for (const s of streams) streamArg('ssc.transform', s);
    return new TransformedDStream<T>(streams, fnArg('ssc.transform', fn));
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /**
   * Start the batches. As Spark: a context started (or starting) already only logs a warning
   * (once) — the promise is the first start's — and a stopped one cannot start again.
   */
  start(): Promise<void> {
    if (isPoolThread()) {
      // Else every thread would start the job again, with threads of its own, and so on.
      return Promise.reject(
        new Error(
          "a job's module started a StreamingContext when a worker pool thread imported it to build the job's graph: " +
            'start the context outside the module (a main.ts), or behind `if (import.meta.url === pathToFileURL(process.argv[1]).href)` (docs/jobs.md)',
        ),
      );
    }
    if (this.graph.lifecycle === 'stopped') {
      return Promise.reject(new Error('StreamingContext has been stopped and cannot be started again; create a new one'));
    }
    if (this.started) {
      if (!this.warnedStartedTwice) {
        this.warnedStartedTwice = true;
        console.warn('[dstreams] StreamingContext has already been started');
      }
      return this.started;
    }
    const first = this.startOnce();
    this.started = first;
    first.catch(() => {
      if (this.started === first && this.graph.lifecycle === 'initialized') this.started = undefined;
    });
    return first;
  }

  private async startOnce(): Promise<void> {
    if (this.graph.outputs.length === 0) {
      throw new Error(
        'No output operations registered, so nothing to execute: add one (pprint, foreachRDD, saveAsTextFiles) before start()',
      );
    }
    // Only the streams that run need one: a stateful stream no output reads is never computed.
    const needCheckpoint = this.graph.checkpointReasonsInUse();
    if (needCheckpoint.length > 0 && this.graph.checkpointDir === undefined) {
      throw new Error(`${needCheckpoint[0]} needs a checkpoint directory: call ssc.checkpoint(dir) before start()`);
    }
    const seeded = this.firstRunSeededFrom;
    if (seeded !== undefined && this.seededFrom === undefined) {
      // That run's state came from a sink's table, which this store does not hold: re-running its
      // batches on what `create` builds would count them twice (seeded again) or drop the table's.
      throw new Error(
        `the checkpoint in ${this.graph.checkpointDir} holds a first run that completed no batch and whose state was seeded from a sink's table ` +
          `(results up to batch ${seeded}; resumeFromSink started it): getOrCreate cannot rebuild that state. Restart it with resumeFromSink, ` +
          'which starts it from the sink again',
      );
    }
    if (this.graph.checkpointDir !== undefined) await this.openCheckpoint();
    // Stopped while the store opened: that stop found no store to close.
    if (this.stopping) return this.closeCheckpoint();
    const firstRun = this.firstRunGrid;
    const grid = batchGrid(
      this.clock.getTimeMillis(),
      this.graph.batchDuration,
      this.recovered ?? (firstRun && { meta: firstRun, skipMissedBatches: this.startFrom!.skipMissedBatches }),
      this.scaleOut ? this.graph.streams.map((st) => st.slideDuration) : undefined,
    );
    const { zeroTime, first, rerun } = grid;
    this.graph.skippedBatches = grid.skipped;
    if (this.recovered) this.graph.recoveredTime = this.recovered.meta.lastCompletedTime;
    this.graph.start(zeroTime);
    this.graph.lifecycle = 'active';
    this.scheduler.start(first);
    // A stop() meanwhile ends the start at the next step: what started before it, the stop stops.
    const stopped = (): boolean => this.stopping !== undefined;
    try {
      for (const a of this.attachments) if (!stopped()) await a.start?.();
      if (this.checkpointer && !stopped()) await this.startCheckpointing(this.checkpointer);
      if (!stopped()) await this.scaleOut?.prepare();
      if (this.pooled && !stopped()) await this.startPool(this.pooled.job, this.pooled.workers);
      // Restored and scale-out states are settled by now: a state that still starts from its
      // initial state loads it before records come (bench/latency.ts: 100 k keys took the first
      // batch 100-250 ms, and the records queued meanwhile took seconds to drain).
      if (!stopped()) this.graph.prepareInitialStates();
      for (const input of this.graph.inputs) if (!stopped()) await input.start();
      // Before any batch: a crash from here on, before one completes, starts where these inputs did
      // (running a first run's batches again: the inputs it restored where its record has them).
      if (this.checkpointer && !this.recovered && !stopped()) {
        this.checkpointer.seededFrom = this.seededFrom ?? (firstRun && this.startFrom!.record.seededFrom);
        await this.checkpointer.commitStart(firstRun?.pendingTimes, firstRun && this.startFrom!.record);
      }
      if (!stopped()) await this.scaleOut?.join();
    } catch (e) {
      const byStop = stopped();
      await this.stop();
      // A step the stop cut short (its store closed, say) fails for that reason only.
      if (byStop) return;
      throw e;
    }
    if (stopped()) return;
    for (const t of rerun) this.scheduler.generate(t);
    // A ManualClock runs them at its next advance, as any due batch; real time runs them now.
    if (rerun.length > 0 && !(this.clock instanceof ManualClock)) this.scheduler.generateUpTo(this.clock.getTimeMillis());
    this.startTimer();
    this.bus.post({ type: 'streamingStarted', info: { time: this.clock.getTimeMillis() } });
  }

  /**
   * Open the checkpoint store (getOrCreate may have already). A store that already holds a
   * checkpoint is only resumed through getOrCreate: a plain start() refuses it rather than
   * silently starting fresh over it.
   */
  private async openCheckpoint(): Promise<void> {
    const dir = this.graph.checkpointDir!;
    this.checkpointer ??= await Checkpointer.open(this.graph, dir, this.appName, this.checkpointerOptions);
    if (this.recovered) return;
    const meta = await this.checkpointer.readMeta().catch(async (e: unknown) => {
      await this.closeCheckpoint();
      throw e;
    });
    if (meta !== undefined) {
      await this.closeCheckpoint();
      throw new Error(
        `checkpoint directory ${dir} holds a checkpoint (last completed batch ${meta.lastCompletedTime}): ` +
          'resume it with StreamingContext.getOrCreate(dir, create), or use an empty directory',
      );
    }
  }

  private get checkpointerOptions(): CheckpointerOptions {
    return { overlapWrites: this.overlapCheckpointWrites, onWriteError: (e) => this.fail(e) };
  }

  /** Restore what was recovered, then write a checkpoint after every completed batch. */
  private async startCheckpointing(cp: Checkpointer): Promise<void> {
    if (this.recovered) await cp.restore(this.recovered.meta, this.recovered.plan);
    else {
      cp.attachFresh();
      if (this.startFrom) await cp.restoreStart(this.startFrom.record, this.startFrom.log);
    }
    const intervals = this.graph.streams
      .map((s) => s.checkpointDuration)
      .filter((d): d is number => d !== undefined);
    const compactEvery = intervals.length > 0 ? Math.min(...intervals) : undefined;
    this.addBatchHooks({
      // Registered after the inputs' hooks, so their data for the batch is decided by now.
      onBatchGenerated: (time) => cp.commitGenerated(time, this.scheduler.pendingTimes),
      onBatchCompleted: async (time) => {
        const began = performance.now();
        await cp.commitBatch(time, this.scheduler.pendingTimes);
        this.checkpointWriteMs = performance.now() - began;
        // LevelDB compaction runs off the JS thread; the next batches need not wait for it.
        if (compactEvery !== undefined && (time - this.graph.zeroTime!) % compactEvery === 0 && !this.compaction && cp.compactionDue()) {
          this.compaction = cp
            .compact()
            .catch((e: unknown) => this.fail(e))
            .finally(() => (this.compaction = undefined));
        }
      },
    });
  }

  /** The worker pool: its threads build the graph from the job's module; each batch's shuffles run there. */
  private async startPool(job: JobRef, workers: number): Promise<void> {
    const kinds = this.graph.streams.map((s) => s.kind);
    const dependencies = this.graph.streams.map((s) => s.dependencies.map((d) => d.id));
    const setup = { job, batchDuration: this.graph.batchDuration, defaultParallelism: this.graph.defaultParallelism, kinds, dependencies };
    const pool = await WorkerPool.start(setup, workers);
    // Stopped while the threads started: the stop did not see the pool, so let it go here.
    if (this.stopping) {
      await pool.release();
      return;
    }
    this.pool = pool;
    pool.onError = (e) => this.fail(e);
    this.addBatchHooks({ onBatchGenerated: (time) => runShuffles(pool, this.graph, time) });
  }

  private async closeCheckpoint(): Promise<void> {
    const cp = this.checkpointer;
    this.checkpointer = undefined;
    await this.compaction;
    await cp?.close();
  }

  /**
   * Build the graph with `create()` (closures cannot be serialised, so it is always called);
   * if `checkpointDir` holds a checkpoint, the context resumes from it — state, window
   * contents, input positions, and the batches generated but not completed — instead of
   * starting fresh. A graph that does not match the checkpointed one fails naming the first
   * difference — unless all its state is named: then each named state whose shape still fits is
   * restored, new ones start empty and removed ones are dropped (a line to `options.log` each).
   * A damaged, locked or incompatible store fails too, never starting fresh.
   */
  static async getOrCreate(
    checkpointDir: string,
    create: () => StreamingContext | Promise<StreamingContext>,
    options: GetOrCreateOptions = {},
  ): Promise<StreamingContext> {
    if (typeof checkpointDir !== 'string' || checkpointDir === '') {
      throw new TypeError('getOrCreate needs a checkpoint directory');
    }
    if (typeof create !== 'function') throw new TypeError('getOrCreate needs a function that creates the context');
    const ssc = await create();
    if (!(ssc instanceof StreamingContext)) {
      throw new TypeError('the create function given to getOrCreate must return a StreamingContext');
    }
    if (ssc.state !== 'initialized') throw new Error('the create function given to getOrCreate must not start the context');
    if (ssc.checkpointDir !== undefined && resolvePath(ssc.checkpointDir) !== resolvePath(checkpointDir)) {
      // Spark would checkpoint to the create function's directory and never find it again at a restart.
      (options.log ?? ((line: string) => console.warn(`dstreams: ${line}`)))(
        `the create function checkpoints to ${ssc.checkpointDir}; getOrCreate's directory ${checkpointDir} is used instead`,
      );
    }
    if (ssc.checkpointDir !== checkpointDir) ssc.checkpoint(checkpointDir);
    ssc.resumes = true;
    if (!(await CheckpointStore.exists(checkpointDir))) return ssc;
    const cp = await Checkpointer.open(ssc.graph, checkpointDir, ssc.appName, ssc.checkpointerOptions);
    try {
      const meta = await cp.readMeta();
      const log = options.log ?? ((line: string) => console.warn(`dstreams: ${line}`));
      if (meta !== undefined) {
        const plan = cp.checkGraph(meta);
        for (const line of plan.log) log(line);
        // Spark refuses queueStream with checkpointing (its queue cannot be saved); here the
        // queue is the one the code gave again, read from its start: say so.
        if (ssc.graph.inputs.some((s) => s instanceof QueueInputDStream)) {
          log('a queueStream is not checkpointed: after this restart it reads its queue from the start, as the create function gave it again');
        }
        ssc.recovered = { meta, plan, skipMissedBatches: options.skipMissedBatches ?? false };
      } else {
        const record = await cp.readStart();
        if (record !== undefined) ssc.startFrom = { record, log, skipMissedBatches: options.skipMissedBatches ?? false };
      }
    } catch (e) {
      await cp.close();
      throw e;
    }
    ssc.checkpointer = cp;
    return ssc;
  }

  /**
   * What `stream` will be given back when this context starts — its meta in the checkpoint it
   * resumes, or in the first run's start record — or undefined on a fresh start. For an input
   * that opens its connection before start() restores it (a Structured Streaming source must
   * know the offset it resumes from, not start over as configured).
   */
  resumeMetaOf(stream: DStream<unknown>): unknown {
    const key = streamKey(stream);
    if (this.recovered) {
      const from = this.recovered.plan.from.get(key);
      return from === undefined ? undefined : this.recovered.meta.streams[from];
    }
    const saved = this.startFrom?.record.streams[key];
    return saved !== undefined && saved.line === describeStream(stream) ? saved.meta : undefined;
  }

  /** True when this context resumed from a checkpoint; the last batch that checkpoint completed. */
  get recoveredFrom(): number | undefined {
    return this.recovered?.meta.lastCompletedTime;
  }

  /**
   * When this context resumes a first run that generated batches and completed none (its store
   * holds only the start record, checkpoint/startRecord.ts): that run's zero time — its batches
   * run again at their times, with the data their inputs recorded. Else undefined.
   */
  get firstRunZeroTime(): number | undefined {
    return this.firstRunGrid?.zeroTime;
  }

  /**
   * @internal When this context resumes a first run's batches (firstRunZeroTime): the batch whose
   * results seeded that run's state (StartRecord.seededFrom), if they did.
   */
  get firstRunSeededFrom(): number | undefined {
    return this.firstRunGrid && this.startFrom!.record.seededFrom;
  }

  /** The grid of the first run this context resumes (a scaled-out job's grid is its group's). */
  private get firstRunGrid(): FirstRunGrid | undefined {
    if (this.recovered || !this.startFrom || this.scaleOut) return undefined;
    return firstRunGrid(this.startFrom.record, this.graph.batchDuration);
  }

  private startTimer(): void {
    const clock = this.clock;
    if (clock instanceof ManualClock) {
      this.stopTimer = clock.onAdvance(async (now) => {
        this.scheduler.generateUpTo(now);
        await this.scheduler.whenDrained();
        // A listener's failure stops the context without failing a batch, dropping the batches
        // still due: the advance did not do what it promises, so it rejects as a failed batch does.
        if (this.failure) throw this.failure.error;
      });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const tick = (): void => {
      this.scheduler.generateUpTo(clock.getTimeMillis());
      // A listener told of the batch (or a transform run to make it) may have stopped the
      // context meanwhile, clearing the timer that had already fired: arm no other.
      if (!stopped) timer = setTimeout(tick, Math.max(0, this.scheduler.nextBatchTime - clock.getTimeMillis()));
    };
    timer = setTimeout(tick, Math.max(0, this.scheduler.nextBatchTime - clock.getTimeMillis()));
    this.stopTimer = () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  /** Stop generating batches and the inputs. Graceful: first finish the batches already due. */
  stop(options?: { graceful?: boolean }): Promise<void>;
  /** PySpark's order, `stop(stopSparkContext, stopGraceFully)`; there is no SparkContext to stop here. */
  stop(stopSparkContext: boolean, stopGracefully?: boolean): Promise<void>;
  stop(options: { graceful?: boolean } | boolean = {}, stopGracefully?: boolean): Promise<void> {
    if (typeof options !== 'boolean' && (options === null || typeof options !== 'object')) {
      throw new TypeError(`stop takes { graceful?: boolean } (or PySpark's stop(stopSparkContext, stopGraceFully)), got ${options === null ? 'null' : typeof options}`);
    }
    const flag = typeof options === 'boolean' ? stopGracefully : options.graceful;
    if (flag !== undefined && typeof flag !== 'boolean') throw new TypeError(`stop's graceful flag must be a boolean, got ${flag === null ? 'null' : typeof flag}`);
    const graceful = flag === true;
    this.stopping ??= this.doStop(graceful);
    // Called from an output operation (`await ssc.stop()` in foreachRDD): the stop waits for
    // that very batch, which waits for this promise. Resolve once stopping has begun instead;
    // awaitTermination() still resolves when the stop is complete.
    if (this.scheduler.insideOwnJob) return Promise.resolve();
    return this.stopping;
  }

  /** @internal Whether the caller runs inside one of this context's output operations (foreachRDD). */
  get insideOutputOperation(): boolean {
    return this.scheduler.insideOwnJob;
  }

  /**
   * @internal Once a stop has begun: resolves when it is complete — the store closed, the inputs
   * stopped — however it was called (a stop from an output operation resolves once begun).
   */
  get whenStopped(): Promise<void> | undefined {
    return this.stopping;
  }

  private async doStop(graceful: boolean): Promise<void> {
    const wasActive = this.graph.lifecycle === 'active';
    this.graph.lifecycle = 'stopped';
    this.stopTimer?.();
    this.stopTimer = undefined;
    const errors: unknown[] = [];
    if (wasActive) {
      const stopInputs = async (): Promise<void> => {
        for (const input of this.graph.inputs) {
          try {
            await input.stop();
          } catch (e) {
            errors.push(e);
          }
        }
      };
      const drained = (async (): Promise<void> => {
        if (graceful && !this.failure) await this.drainInputs();
        await this.scheduler.stop(graceful);
      })();
      if (graceful && !(await settlesWithin(drained, this.gracefulStopTimeoutMs))) {
        // Spark's JobGenerator: "Timed out while stopping the job generator"; it stops anyway.
        console.warn(
          `[dstreams] graceful stop timed out after ${this.gracefulStopTimeoutMs} ms (gracefulStopTimeout): ` +
            'stopping anyway; the batches generated still run, those not generated are dropped (a restart from the checkpoint runs them)',
        );
        await this.scheduler.abandonGenerations();
        // Inputs stopped cut short the reads the dropped generations wait for (a source that does not answer).
        await stopInputs();
        await drained;
      } else {
        await drained;
        await stopInputs();
      }
    }
    try {
      await this.scaleOut?.stop();
    } catch (e) {
      errors.push(e);
    }
    try {
      await this.closeCheckpoint();
    } catch (e) {
      errors.push(e);
    }
    // Kept for the next context of the same job (WorkerPool.release), as Spark keeps its executors.
    await this.pool?.release();
    this.pool = undefined;
    this.bus.complete();
    for (const a of this.attachments) {
      try {
        await a.stop?.();
      } catch (e) {
        errors.push(e);
      }
    }
    this.settled = true;
    if (this.failure) this.rejectTermination(this.failure.error);
    else if (errors.length > 0) this.rejectTermination(errors[0]);
    else this.resolveTermination();
  }

  /**
   * Graceful stop, as Spark: receivers stop first, then the batches due — and, on a real clock,
   * the one at the next batch time (Spark's timer fires once more after its stop) — take
   * everything received, and every input (a folder, a queue) has that last batch to offer more.
   */
  private async drainInputs(): Promise<void> {
    for (const input of this.graph.inputs) await input.stopReceiving?.();
    let due = this.clock.getTimeMillis();
    if (!(this.clock instanceof ManualClock)) {
      const next = this.scheduler.nextBatchTime;
      const wait = next - due;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // A timer may fire a millisecond before the clock reads its time: that batch is due all the same.
      due = Math.max(this.clock.getTimeMillis(), next);
    }
    this.scheduler.generateUpTo(due);
  }

  /** A batch or listener failed: remember the first error, then stop; awaitTermination rejects with it. */
  private fail(error: unknown): void {
    // Too late to reject awaitTermination (a listener failing after its stop completed): said, not lost.
    if (this.settled) return void console.error(`[dstreams] an error after the streaming context stopped: ${loggedError(error)}`);
    if (this.failure) return;
    this.failure = { error };
    // Nobody awaits the termination (yet): as Spark's JobScheduler logs a failed job, so the error is seen.
    if (!this.awaited) console.error(`[dstreams] the streaming context stops on an error: ${loggedError(error)}`);
    void this.stop();
  }

  /** Resolves when the context stops; rejects with the error that stopped it. */
  awaitTermination(): Promise<void> {
    this.awaited = true;
    return this.termination;
  }

  /** True if the context stopped within `timeoutMs`, false otherwise; rejects with a failure. */
  async awaitTerminationOrTimeout(timeoutMs: Duration): Promise<boolean> {
    // Spark's ContextWaiter: 0 answers at once whether the context has stopped, a negative timeout waits forever.
    if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs)) {
      throw new RangeError(`awaitTerminationOrTimeout(timeoutMs) needs a number of milliseconds, got ${described(timeoutMs)}`);
    }
    this.awaited = true;
    if (timeoutMs < 0 || timeoutMs === Infinity) return this.awaitTermination().then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.termination.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
