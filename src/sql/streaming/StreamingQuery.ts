/**
 * The handle of a running query (PySpark's StreamingQuery): id (stable across restarts from the
 * same checkpoint), runId (new per start), progress, processAllAvailable, stop, awaitTermination.
 *
 * Triggers: `processingTime` runs a trigger at every multiple of the interval on the session's
 * clock (a ManualClock runs one trigger on an advance that reaches the next multiple, as Spark's
 * does however many multiples the advance passed), the default interval 0 runs as
 * fast as data comes (polling every 10 ms when idle); `once` runs one batch and stops;
 * `availableNow` runs until nothing is left (no-data batches included) and stops.
 *
 * When things happen: the query exists from start(); begin() opens its sink and engine in the
 * background ('Initializing sources'). processAllAvailable() and the triggers wait for that, and
 * report a failure to open as the query's exception. stop() during it does not wait: the query
 * stops at once; the opening, abandoned, is told so (the signal begin() gives `open`, also
 * withOpeningSignal's: the sink made is closed at once, so a PostgreSQL sink stops retrying its
 * setup; a Kafka source makes its lookup's attempt but does not retry a broker that does not
 * answer) and stops what it opened when it ends; its failure then is not the query's. A new run
 * on the same checkpointLocation waits for that (`released`).
 *
 * A failure (opening, a trigger, the sink, a user function) is logged once, with its stack, as
 * Spark's StreamExecution logs "Query <name> [id = …, runId = …] terminated with error": a query
 * nobody awaits does not fail silently.
 */
import { ManualClock, type Clock } from '../../context/Clock.js';
import { describeFailure, oneLineFailures } from '../../util/causeChain.js';
import { StreamingQueryException } from '../errors.js';
import { triggerIntervalMs } from '../interval.js';
import { withOpeningSignal } from '../sources/Source.js';
import type { MicroBatchExecution } from './MicroBatchExecution.js';
import type { StreamingQueryProgress, StreamingQueryStatus } from './progress.js';
import type { Trigger } from './trigger.js';

export type { Trigger };

/** How many progress reports recentProgress keeps (Spark's spark.sql.streaming.numRecentProgressUpdates). */
const RECENT_PROGRESS = 100;

export interface QueryListener {
  onQueryTerminated(q: StreamingQuery): void;
}

export class StreamingQuery {
  readonly recentProgress: StreamingQueryProgress[] = [];
  private exceptionValue: StreamingQueryException | undefined;
  private active = true;
  private readonly terminated: Promise<void>;
  private resolveTerminated!: () => void;
  private stopLoop: (() => void) | undefined;
  private triggerActive = false;
  private message = 'Initializing sources';
  /** Set once begin()'s opening succeeded. */
  private execValue: MicroBatchExecution | undefined;
  /**
   * Settles (never rejects) when the opening is done, whether it succeeded or not — and, for an
   * opening stop() abandoned, once what it opened is stopped.
   */
  private opened: Promise<void> = Promise.resolve();
  /** Whether the opening has ended (set as it ends, before anything else can run). */
  private openSettled = true;
  /** Tells the opening stop() abandons to give up (a source waiting in start() stops retrying). */
  private abandonOpening: (() => void) | undefined;
  /** Resolves once begin()'s opening has ended and, abandoned, stopped what it opened. */
  private readonly openingEnded: Promise<void>;
  private endOpening!: () => void;

  constructor(
    readonly id: string,
    readonly runId: string,
    readonly name: string | null,
    private readonly listener: QueryListener,
    private readonly planText: string,
  ) {
    this.terminated = new Promise((resolve) => (this.resolveTerminated = resolve));
    this.openingEnded = new Promise((resolve) => (this.endOpening = resolve));
  }

  /**
   * @internal Open the sink and the engine in the background, then run the triggers. `open` is
   * given the signal stop() aborts when it abandons the opening.
   */
  begin(open: (abandoned: AbortSignal) => Promise<MicroBatchExecution>, trigger: Trigger | undefined, clock: Clock): void {
    this.openSettled = false;
    const abandon = new AbortController();
    this.abandonOpening = () => abandon.abort();
    this.opened = withOpeningSignal(abandon.signal, () => open(abandon.signal)).then(
      async (exec) => {
        this.openSettled = true;
        if (!this.active) {
          // stop() came while opening: it did not wait, so what was opened is stopped now.
          await exec.stop().catch((e: unknown) => console.warn(`dstreams: Query ${this.prettyId} was stopped while opening; stopping what it opened failed:`, e));
          return;
        }
        this.execValue = exec;
        this.message = 'Waiting for data to arrive';
      },
      (e: unknown) => {
        this.openSettled = true;
        // Stopped while opening: the abandoned opening's failure is not the query's (it cleaned up after itself).
        if (this.active) this.recordFailure(e);
      },
    );
    void this.opened.then(() => this.endOpening());
    // A failure to open terminates the query.
    void this.opened.then(() => (this.active && this.execValue === undefined ? this.stop().catch(() => undefined) : undefined));
    // The triggers are set up now (a ManualClock advanced right after start() runs its trigger);
    // each waits for the opening first (guard).
    this.run(trigger, clock);
  }

  private get exec(): MicroBatchExecution {
    if (this.execValue === undefined) throw new Error(`query ${this.id} has no running engine`);
    return this.execValue;
  }

  /** Spark's prettyIdString: `name [id = …, runId = …]`, or without a name `[id = …, runId = …]`. */
  private get prettyId(): string {
    return `${this.name ? `${this.name} ` : ''}[id = ${this.id}, runId = ${this.runId}]`;
  }

  /** Resolves once the opening has ended, or the query stopped (stop() does not wait for an opening). */
  private async openedOrStopped(): Promise<void> {
    await Promise.race([this.opened, this.terminated]);
  }

  /**
   * @internal Resolves once the query stopped and everything it opened is released — for an
   * opening stop() abandoned, once that ended (a new run on the same checkpointLocation waits for it).
   */
  get released(): Promise<void> {
    return Promise.all([this.terminated, this.openingEnded]).then(() => undefined);
  }

  /** @internal */
  record(p: StreamingQueryProgress): void {
    this.recentProgress.push(p);
    if (this.recentProgress.length > RECENT_PROGRESS) this.recentProgress.shift();
  }

  get isActive(): boolean {
    return this.active;
  }
  get lastProgress(): StreamingQueryProgress | null {
    return this.recentProgress[this.recentProgress.length - 1] ?? null;
  }
  get status(): StreamingQueryStatus {
    return { message: this.message, isDataAvailable: this.execValue?.dataAvailableAtLastTrigger ?? false, isTriggerActive: this.triggerActive };
  }
  /** The error that stopped the query, or null. */
  exception(): StreamingQueryException | null {
    return this.exceptionValue ?? null;
  }
  explain(): void {
    process.stdout.write(this.planText + '\n');
  }

  /** Start the trigger loop. */
  private run(trigger: Trigger | undefined, clock: Clock): void {
    if (trigger && 'once' in trigger) {
      void this.guard(async () => {
        await this.exec.runTrigger({ ignoreLimits: true });
        await this.stop();
      });
      return;
    }
    if (trigger && 'availableNow' in trigger) {
      void this.guard(async () => {
        await this.exec.drainAvailableNow();
        await this.stop();
      });
      return;
    }
    const interval = trigger ? triggerIntervalMs(trigger.processingTime) : 0;
    if (clock instanceof ManualClock) {
      let next = interval === 0 ? clock.getTimeMillis() : (Math.floor(clock.getTimeMillis() / interval) + 1) * interval;
      this.stopLoop = clock.onAdvance(async (now) => {
        if (interval === 0) return void (await this.guard(() => this.exec.drain()));
        // As Spark's ProcessingTimeExecutor on its ManualClock: one trigger per wake, the next due
        // at the interval's multiple after the time it started, so a jump over several intervals
        // runs one trigger, not one per interval missed.
        if (!this.active || next > now) return;
        next = (Math.floor(now / interval) + 1) * interval;
        await this.guard(() => this.exec.runTrigger());
      });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    let cancelled = false;
    const loop = async (): Promise<void> => {
      if (cancelled || !this.active) return;
      // Spark's ProcessingTimeExecutor: the next trigger is the next multiple of the interval after
      // this one started, so a batch that overran it is followed at once.
      const next = interval > 0 ? (Math.floor(Date.now() / interval) + 1) * interval : 0;
      const ran = await this.guard(() => this.exec.runTrigger());
      if (cancelled || !this.active) return;
      const wait = interval > 0 ? Math.max(0, next - Date.now()) : ran ? 0 : 10;
      timer = setTimeout(() => void loop(), wait);
    };
    timer = setTimeout(() => void loop(), 0);
    this.stopLoop = () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }

  /** Runs a trigger step; a failure terminates the query with a StreamingQueryException. */
  private async guard<T>(f: () => Promise<T>): Promise<T | undefined> {
    this.triggerActive = true;
    try {
      await this.openedOrStopped();
      if (this.execValue === undefined || !this.active) return undefined;
      return await f();
    } catch (e) {
      await this.fail(e);
      return undefined;
    } finally {
      this.triggerActive = false;
    }
  }

  private async fail(e: unknown): Promise<void> {
    this.recordFailure(e);
    await this.stop().catch(() => undefined);
  }

  private recordFailure(e: unknown): void {
    const cause = e instanceof Error ? e.message : String(e);
    this.setException(new StreamingQueryException(`Query ${this.prettyId} terminated with exception: ${cause}`, { cause: e }), 'terminated with error', e);
  }

  /** The query's exception, the first only; logged once with the error's stack (Spark's logError). */
  private setException(ex: StreamingQueryException, what: string, error: unknown): void {
    if (this.exceptionValue) return;
    this.exceptionValue = ex;
    // Under `dstreams run` one line, as it reports the failure itself (oneLineFailures).
    if (oneLineFailures()) console.error(`dstreams: Query ${this.prettyId} ${what}: ${describeFailure(error)}`);
    else console.error(`dstreams: Query ${this.prettyId} ${what}`, error);
  }

  /** Resolves once everything added to the sources so far is processed and written. */
  async processAllAvailable(): Promise<void> {
    await this.openedOrStopped();
    this.throwIfFailed();
    if (!this.active || this.execValue === undefined) return;
    try {
      await this.exec.drain();
    } catch (e) {
      await this.fail(e);
    }
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.exceptionValue) throw this.exceptionValue;
  }

  /** Resolves when the query stops (rejects with its exception); with a timeout, true if it stopped in time. */
  async awaitTermination(timeoutMs?: number): Promise<boolean | undefined> {
    if (timeoutMs === undefined) {
      await this.terminated;
      this.throwIfFailed();
      return undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.terminated.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    this.throwIfFailed();
    return done;
  }

  stop(): Promise<void> {
    const stopping = this.stopOnce();
    // Called from the query's own batch (`await query.stop()` in foreachBatch): the stop waits for
    // that batch, which waits for this promise. Resolve once stopping has begun instead, as
    // StreamingContext.stop does; awaitTermination() resolves when the stop is complete.
    if (this.execValue?.insideBatch) return Promise.resolve();
    return stopping;
  }

  private async stopOnce(): Promise<void> {
    if (!this.active) return this.terminated;
    this.active = false;
    this.stopLoop?.();
    this.message = 'Stopped';
    try {
      // Still opening: not waited for (begin() stops what the opening opened when it ends).
      if (this.openSettled) await this.execValue?.stop();
      else this.abandonOpening?.();
    } catch (e) {
      this.setException(new StreamingQueryException(`stopping query ${this.id} failed: ${String(e)}`, { cause: e }), 'failed to stop', e);
    } finally {
      this.resolveTerminated();
      this.listener.onQueryTerminated(this);
    }
  }

  /** @internal a terminated promise that never rejects (for awaitAnyTermination). */
  get whenTerminated(): Promise<void> {
    return this.terminated;
  }
}
