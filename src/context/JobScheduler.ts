import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { DStreamGraph, Job } from '../dstream/DStreamGraph.js';
import { runAsJob, runTracking } from '../rdd/jobWork.js';
import { settlesWithin } from '../util/sleep.js';
import type { Clock } from './Clock.js';
import type { ListenerBus } from './ListenerBus.js';
import type { BatchInfo, CompletedBatchInfo, OutputOperationInfo } from './StreamingListener.js';

/** The scheduler whose output operation the current async context is running in, if any. */
const runningJobOf = new AsyncLocalStorage<JobScheduler>();

/** One batch: its time and the jobs of its output operations, in registration order. */
interface JobSet {
  time: number;
  jobs: Job[];
  info: BatchInfo;
  /** performance.now() at submission, for the scheduling delay. */
  submittedAt: number;
  /** Set when generating the batch already failed (e.g. a transform function threw). */
  generationError?: unknown;
  /** The async work of actions its generation ran (a transform function's rdd.foreach): waited for before its jobs. */
  generationWork?: Promise<void>;
}

/** Steps of a batch's life the rest of the system can take part in (checkpoints, receivers). */
export interface BatchHooks {
  /** After the batch's RDDs and jobs are generated, before any job runs. */
  onBatchGenerated?(time: number): void | Promise<void>;
  /** After every job of the batch succeeded, before the batch counts as complete. */
  onBatchCompleted?(time: number, info: CompletedBatchInfo): void | Promise<void>;
}

/**
 * Spark's JobGenerator and JobScheduler in one: cuts a batch at every multiple of the batch
 * duration, generates its jobs, and runs batches one at a time in time order.
 *
 * When things happen: a batch is generated when its time comes — at once, or, when an input
 * must ask something first (DStreamGraph.prepareInputs: a direct Kafka stream's latest
 * offsets), as soon as that answer is in; generations follow one another in time order. Spark's
 * driver blocks for the same lookup; here the batch is queued only once its inputs decided, so
 * every RDD handed to transform/foreachRDD is complete.
 */
export class JobScheduler {
  private readonly queue: JobSet[] = [];
  private nextTime = 0;
  private running: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;
  private stopped = false;
  private readonly hooks: BatchHooks[] = [];
  private drainWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Generations waiting for their inputs (prepareInputs), chained in time order. */
  private generating: Promise<void> | undefined;
  private generatingCount = 0;
  /** Set by a non-graceful stop: a generation still waiting is dropped. */
  private dropGenerations = false;
  /** A non-graceful stop returned before the batch running finished: the rest of it is not run. */
  private leftBehind = false;

  constructor(
    private readonly graph: DStreamGraph,
    private readonly clock: Clock,
    private readonly bus: ListenerBus,
    private readonly onFailure: (error: unknown) => void,
    private readonly measureClockLag: boolean,
  ) {}

  addHooks(hooks: BatchHooks): void {
    this.hooks.push(hooks);
  }

  /** The first batch time: the next multiple of the batch duration strictly after `now`. */
  static firstBatchTime(now: number, batchDuration: number): number {
    return (Math.floor(now / batchDuration) + 1) * batchDuration;
  }

  start(firstBatchTime: number): void {
    this.nextTime = firstBatchTime;
  }

  /**
   * The clock when the scheduler first generated (after the context's start-up: restore, inputs):
   * batches due before it (catching up after a restart) were late from then, not from their time.
   */
  private startedAt: number | undefined;

  /** The time of the next batch to generate. */
  get nextBatchTime(): number {
    return this.nextTime;
  }

  /** Generate every batch due at or before `now`, in order, and start running them. */
  generateUpTo(now: number): void {
    this.startedAt ??= now;
    while (!this.stopped && this.nextTime <= now) {
      const time = this.nextTime;
      this.nextTime += this.graph.batchDuration;
      this.generate(time);
    }
    this.pump();
  }

  /**
   * Generate batch `time` again or for the first time (recovery re-runs pending batches this
   * way): at once, or after its inputs prepared it and the batches before it were generated.
   */
  generate(time: number): void {
    if (this.generating === undefined) {
      let prepared: Promise<void> | undefined;
      try {
        prepared = this.graph.prepareInputs(time);
      } catch (error) {
        prepared = Promise.reject(error);
      }
      if (prepared === undefined) {
        this.generateNow(time);
        return;
      }
      this.afterPreparing(time, prepared);
      return;
    }
    this.afterPreparing(
      time,
      this.generating.then(() => this.graph.prepareInputs(time)),
    );
  }

  /** Generates `time` once `prepared` settles (a failed preparation fails the batch when it runs). */
  private afterPreparing(time: number, prepared: Promise<void> | undefined): void {
    this.generatingCount++;
    const done = Promise.resolve(prepared).then(
      () => undefined,
      (error: unknown) => error ?? new Error(`preparing the inputs of batch ${time} failed with ${String(error)}`),
    );
    const generated = done.then((error) => {
      this.generatingCount--;
      if (this.dropGenerations) return;
      try {
        this.generateNow(time, error);
        this.pump();
      } catch (e) {
        this.onFailure(e);
      }
    });
    this.generating = generated;
    void generated.then(() => {
      if (this.generating === generated) this.generating = undefined;
      this.settleDrainWaiters();
    });
  }

  private generateNow(time: number, prepareError?: unknown): void {
    const set: JobSet = {
      time,
      jobs: [],
      info: { batchTime: time, numRecords: 0, submissionTime: this.clock.getTimeMillis() },
      submittedAt: performance.now(),
    };
    if (prepareError !== undefined) {
      set.generationError = prepareError;
    } else {
      try {
        // A transform function runs here and may run an action: its async work fails this batch, not the process.
        const generated = runTracking(() => {
          this.graph.computeInputs(time);
          return this.graph.generateJobs(time);
        });
        set.jobs = generated.value;
        set.generationWork = generated.work;
      } catch (error) {
        // `throw undefined` must fail the batch too, not read as "no error".
        set.generationError = error ?? new Error(`generating batch ${time} failed with ${String(error)}`);
      }
    }
    this.setInputFigures(set.info);
    this.queue.push(set);
    this.bus.post({ type: 'batchSubmitted', info: { ...set.info } });
  }

  /** numRecords, and numBytes and backlog when an input told them. */
  private setInputFigures(info: BatchInfo): void {
    info.numRecords = this.graph.inputRecordsAt(info.batchTime);
    info.streamIdToInputInfo = this.graph.inputInfoAt(info.batchTime);
    const { bytes, backlog } = this.graph.inputFactsAt(info.batchTime);
    if (bytes !== undefined) info.numBytes = bytes;
    if (backlog !== undefined) info.backlog = backlog;
  }

  private pump(): void {
    if (this.running) return;
    this.running = this.runQueue().finally(() => {
      this.running = undefined;
      this.settleDrainWaiters();
    });
  }

  private async runQueue(): Promise<void> {
    while (this.queue.length > 0 && !this.failure) {
      const set = this.queue.shift()!;
      try {
        await this.runJobSet(set);
      } catch (error) {
        if (this.leftBehind) {
          // The context stopped without it: its failure fails nothing any more, but is said, not lost.
          console.warn(`[dstreams] batch ${set.time}, left running by the stop, failed afterwards: ${oneLine(error)}`);
          return;
        }
        this.failure = { error };
        this.queue.length = 0;
        this.onFailure(error);
      }
    }
  }

  private async runJobSet(set: JobSet): Promise<void> {
    const { time, info } = set;
    const startedAt = performance.now();
    // A late timer delays a batch from its time; a batch of a restart's catch-up from the restart,
    // as Spark counts its down-time batches from their resubmission.
    const clockLag = this.measureClockLag ? Math.max(0, info.submissionTime - Math.max(time, this.startedAt ?? info.submissionTime)) : 0;
    info.processingStartTime = this.clock.getTimeMillis();
    info.schedulingDelay = Math.round(startedAt - set.submittedAt) + clockLag;
    this.bus.post({ type: 'batchStarted', info: { ...info } });

    let firstError: unknown = set.generationError;
    const generationWork = set.generationWork;
    if (firstError === undefined && generationWork !== undefined) {
      // As Spark's generation blocks on a transform's action: its work is part of generating the batch.
      firstError = await attempt(() => generationWork, `generating batch ${time}`);
    }
    if (firstError === undefined) {
      firstError = await attempt(async () => {
        for (const h of this.hooks) await h.onBatchGenerated?.(time);
        // Some inputs (a direct Kafka stream) only know their batch's size once its hooks ran.
        this.setInputFigures(info);
        await this.graph.materializeState(time);
      }, `preparing batch ${time}`);
    }
    if (firstError === undefined) {
      for (const [index, job] of set.jobs.entries()) {
        // A non-graceful stop left this batch behind: nothing more of it runs, nor completes.
        if (this.leftBehind) break;
        const error = await this.runJob(job, index);
        if (error !== undefined && firstError === undefined) firstError = error;
      }
    }
    if (this.leftBehind) {
      // Its failure goes to runQueue, which only reports it (the batch completes nothing).
      if (firstError !== undefined) throw firstError;
      return;
    }

    const processingDelay = Math.round(performance.now() - startedAt);
    const completed: CompletedBatchInfo = {
      ...info,
      processingEndTime: this.clock.getTimeMillis(),
      schedulingDelay: info.schedulingDelay,
      processingDelay,
      totalDelay: info.schedulingDelay + processingDelay,
    };
    if (firstError === undefined) {
      // Checkpoints are written here: a batch whose checkpoint fails has not completed.
      firstError = await attempt(async () => {
        for (const h of this.hooks) await h.onBatchCompleted?.(time, completed);
      }, `completing batch ${time}`);
    }
    if (firstError !== undefined) {
      completed.failureReason = errorMessage(firstError);
      this.bus.post({ type: 'batchCompleted', info: completed });
      throw firstError;
    }
    this.graph.clearMetadata(time);
    completed.memory = { heapUsed: v8.getHeapStatistics().used_heap_size, stateKeys: this.graph.stateKeyCounts() };
    this.bus.post({ type: 'batchCompleted', info: completed });
  }

  /**
   * Runs one output operation, the `index`th of its batch (Spark's outputOpId, JobSet's
   * setOutputOpId); returns its error, if any, after telling listeners.
   */
  private async runJob(job: Job, index: number): Promise<unknown> {
    const op: OutputOperationInfo = {
      batchTime: job.time,
      id: index,
      name: job.name,
      description: outputOperationDescription(job.name, job.outputId),
    };
    const start = performance.now();
    op.startTime = this.clock.getTimeMillis();
    this.bus.post({ type: 'outputOperationStarted', info: { ...op } });
    let error: unknown;
    try {
      // runAsJob: the job is done once the async work of its actions (a dropped foreachPartition) is.
      await runningJobOf.run(this, () => runAsJob(() => job.run()));
    } catch (e) {
      error = e ?? new Error(`output operation ${job.name} failed with ${String(e)}`);
    }
    op.endTime = this.clock.getTimeMillis();
    op.duration = Math.round(performance.now() - start);
    if (error !== undefined) op.failureReason = errorMessage(error);
    this.bus.post({ type: 'outputOperationCompleted', info: op });
    return error;
  }

  /** Resolves once every batch generated so far has completed; rejects if one failed. */
  whenDrained(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.drainWaiters.push({ resolve, reject });
      if (!this.running) this.settleDrainWaiters();
    });
  }

  private settleDrainWaiters(): void {
    if (this.running || (this.queue.length > 0 && !this.failure && !this.stopped)) return;
    if (this.generatingCount > 0 && !this.failure && !this.dropGenerations) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) {
      if (this.failure) w.reject(this.failure.error);
      else w.resolve();
    }
  }

  /** True when called from an output operation of this scheduler (a batch that cannot finish before it returns). */
  get insideOwnJob(): boolean {
    return runningJobOf.getStore() === this;
  }

  /**
   * Stop generating. Graceful: finish the batches already queued; otherwise drop those not started
   * and give the batch running NON_GRACEFUL_WAIT_MS to finish, as Spark's JobScheduler.stop(false)
   * waits 2 s before it interrupts its jobs: an output waiting out a retry budget (a sink whose
   * database went away) does not hold the stop. Such a batch did not complete, so a restart from the
   * checkpoint runs it again (sinks idempotent by batch time write nothing twice).
   */
  async stop(graceful: boolean): Promise<void> {
    this.stopped = true;
    if (!graceful) {
      this.dropGenerations = true;
      this.queue.length = 0;
      const running = this.running;
      if (running && !(await settlesWithin(running, NON_GRACEFUL_WAIT_MS))) {
        this.leftBehind = true;
        console.warn(`[dstreams] stopping without waiting for the batch still running after ${NON_GRACEFUL_WAIT_MS} ms (it completes nothing: a restart from the checkpoint runs it again)`);
        this.settleDrainWaiters();
        return;
      }
    } else {
      while (this.generating) await this.generating;
      this.pump();
    }
    while (this.running) await this.running;
    this.settleDrainWaiters();
  }

  /**
   * A graceful stop ran out of time (gracefulStopTimeout): nothing more is generated, and the
   * generations still waiting for their inputs are dropped (a restart from the checkpoint runs them
   * again). The batches generated still run, as Spark's JobScheduler.stop(true) lets its executor
   * finish the jobs it was given: their input was taken, and without a checkpoint nothing would
   * run them again. Resolves once they ran.
   */
  async abandonGenerations(): Promise<void> {
    this.stopped = true;
    this.dropGenerations = true;
    this.settleDrainWaiters();
    this.pump();
    while (this.running) await this.running;
  }

  /** Batches generated but not yet completed (for checkpoints). */
  get pendingTimes(): number[] {
    return this.queue.map((s) => s.time);
  }
}

/** An output operation's description (Spark's is its call site): its name and the id of its output stream. */
export function outputOperationDescription(name: string, streamId: number): string {
  return `${name} (stream ${streamId})`;
}

/** Runs `f`; returns what it threw (never undefined when it threw), or undefined. */
async function attempt(f: () => Promise<void>, what: string): Promise<unknown> {
  try {
    await f();
    return undefined;
  } catch (e) {
    return e ?? new Error(`${what} failed with ${String(e)}`);
  }
}

/** An error in one line: its name and message, without the stack. */
function oneLine(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.replace(/\s*\n\s*/g, ' ');
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return String(e);
}

/** How long a non-graceful stop waits for the batch running (Spark's jobExecutor.awaitTermination(2 s)). */
const NON_GRACEFUL_WAIT_MS = 2000;

