/**
 * Spark's Receiver: a long-running source of records for one input stream. Subclasses implement
 * `onStart()` (set up, e.g. connect, and return quickly: receiving happens in callbacks; until it
 * returns `ssc.start()` does not resolve, and one still running after 2 s gets a warning) and
 * `onStop()` (release what onStart set up; it runs only once onStart has returned, and a stop
 * goes on without an onStart or onStop that has not returned within 10 s, with a warning), and
 * hand records over with `store()`. With the write-ahead log on, records must be plain data (a
 * record v8 cannot serialise makes its store() reject; a class instance is replayed as a plain
 * object).
 *
 * `store(item)` stores one record, `store(items)` every element of an array (to store an array
 * as ONE record, wrap it: `store([arr])`). The promise resolves once the records are stored —
 * in the block being filled, or, with the write-ahead log on, in a block written and fsync'd to
 * the log. It waits while the receiver's rate limit (maxRate, backpressure) holds them back, so a
 * receiver that awaits it (or pauses its source while `storeBacklogged` is true) keeps memory
 * bounded. It rejects when the receiver is not running (stopped, or between a restart's stop and start).
 * At a stop, the records already handed to store() go into the final block (past the rate limit)
 * and every store() has settled before onStop runs: onStop can acknowledge all that was stored.
 *
 * `restart(message, error?)` reports the error to listeners (onReceiverError), calls onStop(),
 * waits (back-off: 100 ms doubling up to the restart delay, 2 s by default) and calls onStart()
 * again. `reportError` only reports. `stop(message, error?)` stops the receiver for good.
 */
export abstract class Receiver<T> {
  #host: ReceiverHost<T> | undefined;

  /** Called when the receiver starts, and again after each restart. */
  abstract onStart(): void | Promise<void>;
  /** Called when the receiver stops or before it restarts. */
  abstract onStop(): void | Promise<void>;

  /** The id of the input stream this receiver feeds (-1 before it is attached to one). */
  get streamId(): number {
    return this.#host?.streamId ?? -1;
  }

  store(data: T | readonly T[]): Promise<void> {
    if (!this.#host) return Promise.reject(new Error('store(): the receiver is not attached to an input stream'));
    return this.#host.store(Array.isArray(data) ? (data as readonly T[]) : [data as T]);
  }

  restart(message: string, error?: unknown): void {
    this.#host?.restart(message, error);
  }

  reportError(message: string, error: unknown): void {
    this.#host?.reportError(message, error);
  }

  /** Stops the receiver for good (its stream then yields empty batches). */
  stop(message: string, error?: unknown): void {
    this.#host?.stopReceiver(message, error);
  }

  /**
   * Fails the context with `error` at the stream's next batch (`awaitTermination` rejects; the
   * context's stop then stops the receiver): for an error of the job's own code, such as a
   * message handler that throws, which a restart would only meet again.
   */
  protected fail(message: string, error: unknown): void {
    this.#host?.failReceiver(message, error);
  }

  /** True unless the receiver is running (also true between a restart's stop and start). */
  isStopped(): boolean {
    return this.#host?.receiverState !== 'started';
  }

  isStarted(): boolean {
    return this.#host?.receiverState === 'started';
  }

  /**
   * True while records passed to store() are held back by the rate limit: a source that can
   * pause (a socket) should pause until the pending store() promises resolve.
   */
  protected get storeBacklogged(): boolean {
    return this.#host?.backlogged ?? false;
  }

  /**
   * Resolves once every record passed to store() so far is admitted by the rate limit (at once
   * when none is held back, or the receiver stopped) — before its block is written, unlike the
   * store() promises. A source that can keep what it has not handed over (Kafka) hands the next
   * part then, so the records the limit holds back stay at the source.
   */
  protected storeAdmitted(): Promise<void> {
    return this.#host?.whenAdmitted() ?? Promise.resolve();
  }

  /** The rate limit store() admits records at, in records/s (Infinity: none); backpressure changes it. */
  protected get storeRate(): number {
    return this.#host?.rate ?? Infinity;
  }

  /**
   * Wall-clock ms when this input first started: the first run's start when the job resumed from
   * a checkpoint that kept it (getOrCreate), else this run's. What "from now on" means for a
   * receiver whose source has no position of its own yet (Kinesis at LATEST, before its leases
   * exist): a restart — of the receiver, or of the job after a crash — that reads from this time
   * loses nothing the first start would have read. A receiver relying on it across crashes says
   * so with `keepsStartTime`, so that the time is checkpointed before the first batch completes.
   */
  protected get firstStartedAt(): number {
    return this.#host?.firstStartedAt ?? Date.now();
  }

  /**
   * True for a receiver that reads `firstStartedAt` after a crash: its input then records its
   * start time in the checkpoint's start record too (checkpoint/startRecord.ts), not only in the
   * completed batches' commits.
   */
  get keepsStartTime(): boolean {
    return false;
  }

  /** @internal True once the receiver feeds an input stream. */
  get attached(): boolean {
    return this.#host !== undefined;
  }

  /** @internal The supervisor binds the receiver to its input stream. */
  attach(host: ReceiverHost<T>): void {
    if (this.#host && this.#host !== host) throw new Error('a Receiver can feed only one input stream');
    this.#host = host;
  }
}

/** What a receiver talks to: its supervisor (internal). */
export interface ReceiverHost<T> {
  readonly streamId: number;
  readonly receiverState: 'initialized' | 'started' | 'restarting' | 'stopped';
  readonly backlogged: boolean;
  readonly firstStartedAt: number;
  /** The rate limit in records/s (Infinity: none). */
  readonly rate: number;
  store(items: readonly T[]): Promise<void>;
  /** Resolves once the records handed to store() so far are admitted by the rate limit. */
  whenAdmitted(): Promise<void>;
  restart(message: string, error?: unknown): void;
  reportError(message: string, error: unknown): void;
  stopReceiver(message: string, error?: unknown): void;
  failReceiver(message: string, error: unknown): void;
}
