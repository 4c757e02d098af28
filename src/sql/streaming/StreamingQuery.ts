/**
 * The handle of a running query (PySpark's StreamingQuery): id (stable across restarts from the
 * same checkpoint), runId (new per start), progress, processAllAvailable, stop, awaitTermination.
 *
 * Triggers: `processingTime` runs a trigger at every multiple of the interval on the session's
 * clock (a ManualClock runs the triggers due on each advance), the default interval 0 runs as
 * fast as data comes (polling every 10 ms when idle); `once` runs one batch and stops;
 * `availableNow` runs until nothing is left (no-data batches included) and stops.
 */
import { ManualClock, type Clock } from '../../context/Clock.js';
import { StreamingQueryException } from '../errors.js';
import type { MicroBatchExecution } from './MicroBatchExecution.js';
import type { StreamingQueryProgress, StreamingQueryStatus } from './progress.js';

export type Trigger = { processingTime: string | number } | { once: true } | { availableNow: true };

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

  constructor(
    readonly id: string,
    readonly runId: string,
    readonly name: string | null,
    private readonly exec: MicroBatchExecution,
    private readonly listener: QueryListener,
    private readonly planText: string,
  ) {
    this.terminated = new Promise((resolve) => (this.resolveTerminated = resolve));
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
    return { message: this.message, isDataAvailable: false, isTriggerActive: this.triggerActive };
  }
  /** The error that stopped the query, or null. */
  exception(): StreamingQueryException | null {
    return this.exceptionValue ?? null;
  }
  explain(): void {
    process.stdout.write(this.planText + '\n');
  }

  /** @internal Start the trigger loop. */
  run(trigger: Trigger | undefined, clock: Clock): void {
    this.message = 'Waiting for data to arrive';
    if (trigger && 'once' in trigger) {
      void this.guard(async () => {
        await this.exec.runTrigger({ ignoreLimits: true });
        await this.stop();
      });
      return;
    }
    if (trigger && 'availableNow' in trigger) {
      void this.guard(async () => {
        await this.exec.drain();
        await this.stop();
      });
      return;
    }
    const interval = trigger ? intervalMs(trigger.processingTime) : 0;
    if (clock instanceof ManualClock) {
      let next = interval === 0 ? clock.getTimeMillis() : (Math.floor(clock.getTimeMillis() / interval) + 1) * interval;
      this.stopLoop = clock.onAdvance(async (now) => {
        if (interval === 0) return void (await this.guard(() => this.exec.drain()));
        while (this.active && next <= now) {
          next += interval;
          await this.guard(() => this.exec.runTrigger());
        }
      });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    let cancelled = false;
    const loop = async (): Promise<void> => {
      if (cancelled || !this.active) return;
      const started = Date.now();
      const ran = await this.guard(() => this.exec.runTrigger());
      if (cancelled || !this.active) return;
      const wait = interval > 0 ? interval - ((Date.now() - started) % interval) : ran ? 0 : 10;
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
      return await f();
    } catch (e) {
      await this.fail(e);
      return undefined;
    } finally {
      this.triggerActive = false;
    }
  }

  private async fail(e: unknown): Promise<void> {
    if (!this.exceptionValue) {
      const cause = e instanceof Error ? e.message : String(e);
      this.exceptionValue = new StreamingQueryException(`Query ${this.name ?? ''} [id = ${this.id}, runId = ${this.runId}] terminated with exception: ${cause}`, { cause: e });
    }
    await this.stop().catch(() => undefined);
  }

  /** Resolves once everything added to the sources so far is processed and written. */
  async processAllAvailable(): Promise<void> {
    this.throwIfFailed();
    if (!this.active) return;
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

  async stop(): Promise<void> {
    if (!this.active) return this.terminated;
    this.active = false;
    this.stopLoop?.();
    this.message = 'Stopped';
    try {
      await this.exec.stop();
    } catch (e) {
      if (!this.exceptionValue) this.exceptionValue = new StreamingQueryException(`stopping query ${this.id} failed: ${String(e)}`, { cause: e });
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

function intervalMs(v: string | number): number {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|millisecond|milliseconds|s|sec|second|seconds|m|min|minute|minutes|h|hour|hours)\s*$/i.exec(v);
  if (!m) throw new RangeError(`cannot parse the trigger interval '${v}' (e.g. '1 second', '30 seconds')`);
  const unit = m[2]!.toLowerCase();
  const ms = unit.startsWith('ms') || unit.startsWith('milli') ? 1 : unit.startsWith('s') ? 1000 : unit.startsWith('h') ? 3_600_000 : 60_000;
  return Number(m[1]) * ms;
}
