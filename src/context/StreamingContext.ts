import type { Observable } from 'rxjs';
import '../dstream/index.js';
import { DStream } from '../dstream/DStream.js';
import { DStreamGraph } from '../dstream/DStreamGraph.js';
import { QueueInputDStream } from '../dstream/QueueInputDStream.js';
import { RateInputDStream, type RateStreamOptions } from '../dstream/RateInputDStream.js';
import { TransformedDStream } from '../dstream/operators/transform.js';
import { UnionDStream } from '../dstream/operators/union.js';
import { RDD } from '../rdd/RDD.js';
import { checkDuration, type Duration } from '../util/duration.js';
import { ManualClock, SystemClock, type Clock } from './Clock.js';
import { JobScheduler, type BatchHooks } from './JobScheduler.js';
import { ListenerBus } from './ListenerBus.js';
import type { StreamingEvent, StreamingListener } from './StreamingListener.js';

export interface StreamingContextOptions {
  batchDuration: Duration;
  clock?: Clock;
  appName?: string;
  checkpointDir?: string;
  /** Partitions of an RDD made from a plain array, and of shuffles (default 2). */
  defaultParallelism?: number;
}

export type StreamingContextState = 'initialized' | 'active' | 'stopped';

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
  private readonly termination: Promise<void>;
  private resolveTermination!: () => void;
  private rejectTermination!: (e: unknown) => void;

  constructor(options: StreamingContextOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('new StreamingContext({ batchDuration }) needs an options object');
    }
    this.graph = new DStreamGraph(options.batchDuration, options.defaultParallelism ?? 2);
    this.appName = options.appName ?? 'dstreams';
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
    return new QueueInputDStream(this.graph, queue, oneAtATime, defaultRDD);
  }

  /** A replayable input whose batches are a pure function of their time (Structured Streaming's `rate`). */
  rateStream<T = number>(options: RateStreamOptions<T> = {}): DStream<T> {
    return new RateInputDStream<T>(this.graph, options);
  }

  union<T>(...streams: DStream<T>[]): DStream<T> {
    return new UnionDStream(streams);
  }

  transform<T>(streams: DStream<any>[], fn: (rdds: RDD<any>[], time: number) => RDD<T>): DStream<T> {
    return new TransformedDStream<T>(streams, fn);
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.graph.lifecycle === 'active') throw new Error('StreamingContext has already been started');
    if (this.graph.lifecycle === 'stopped') {
      throw new Error('StreamingContext has been stopped and cannot be started again; create a new one');
    }
    if (this.graph.outputs.length === 0) {
      throw new Error(
        'No output operations registered, so nothing to execute: add one (pprint, foreachRDD, saveAsTextFiles) before start()',
      );
    }
    if (this.graph.checkpointReasons.length > 0 && this.graph.checkpointDir === undefined) {
      throw new Error(
        `${this.graph.checkpointReasons[0]} needs a checkpoint directory: call ssc.checkpoint(dir) before start()`,
      );
    }
    const first = JobScheduler.firstBatchTime(this.clock.getTimeMillis(), this.graph.batchDuration);
    this.graph.start(first - this.graph.batchDuration);
    this.graph.lifecycle = 'active';
    this.scheduler.start(first);
    try {
      for (const input of this.graph.inputs) await input.start();
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.startTimer();
    this.bus.post({ type: 'streamingStarted', info: { time: this.clock.getTimeMillis() } });
  }

  private startTimer(): void {
    const clock = this.clock;
    if (clock instanceof ManualClock) {
      this.stopTimer = clock.onAdvance(async (now) => {
        this.scheduler.generateUpTo(now);
        await this.scheduler.whenDrained();
      });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const tick = (): void => {
      this.scheduler.generateUpTo(clock.getTimeMillis());
      timer = setTimeout(tick, Math.max(0, this.scheduler.nextBatchTime - clock.getTimeMillis()));
    };
    timer = setTimeout(tick, Math.max(0, this.scheduler.nextBatchTime - clock.getTimeMillis()));
    this.stopTimer = () => clearTimeout(timer);
  }

  /** Stop generating batches and the inputs. Graceful: first finish the batches already due. */
  stop(options: { graceful?: boolean } = {}): Promise<void> {
    this.stopping ??= this.doStop(options.graceful ?? false);
    // Called from an output operation (`await ssc.stop()` in foreachRDD): the stop waits for
    // that very batch, which waits for this promise. Resolve once stopping has begun instead;
    // awaitTermination() still resolves when the stop is complete.
    if (this.scheduler.insideOwnJob) return Promise.resolve();
    return this.stopping;
  }

  private async doStop(graceful: boolean): Promise<void> {
    const wasActive = this.graph.lifecycle === 'active';
    this.graph.lifecycle = 'stopped';
    this.stopTimer?.();
    this.stopTimer = undefined;
    const errors: unknown[] = [];
    if (wasActive) {
      if (graceful && !this.failure) this.scheduler.generateUpTo(this.clock.getTimeMillis());
      await this.scheduler.stop(graceful);
      for (const input of this.graph.inputs) {
        try {
          await input.stop();
        } catch (e) {
          errors.push(e);
        }
      }
    }
    this.bus.complete();
    if (this.failure) this.rejectTermination(this.failure.error);
    else if (errors.length > 0) this.rejectTermination(errors[0]);
    else this.resolveTermination();
  }

  /** A batch or listener failed: remember the first error, then stop; awaitTermination rejects with it. */
  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    void this.stop();
  }

  /** Resolves when the context stops; rejects with the error that stopped it. */
  awaitTermination(): Promise<void> {
    return this.termination;
  }

  /** True if the context stopped within `timeoutMs`, false otherwise; rejects with a failure. */
  async awaitTerminationOrTimeout(timeoutMs: Duration): Promise<boolean> {
    checkDuration(timeoutMs, 'timeout');
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
