import { BlockGenerator, type Block } from './BlockGenerator.js';
import { FIRST_RESTART_DELAY, RECEIVER_WAITS, type ReceiverWaits, type ResolvedReceiverOptions } from './options.js';
import { RateLimiter } from '../rate/RateLimiter.js';
import type { Receiver, ReceiverHost } from './Receiver.js';
import type { FileWriteAheadLog } from './WriteAheadLog.js';
import { settlesWithin } from '../util/sleep.js';

/** A receiver's state as its listeners see it (the context's StreamingListener events carry it). */
export interface ReceiverInfo {
  streamId: number;
  name: string;
  active: boolean;
  lastErrorMessage?: string;
  lastError?: unknown;
  time: number;
}

/** A receiver event as the context's listener bus takes it. */
export type ReceiverEvent =
  | { type: 'receiverStarted'; info: ReceiverInfo }
  | { type: 'receiverError'; info: ReceiverInfo }
  | { type: 'receiverStopped'; info: ReceiverInfo };

/**
 * What a receiver input stream needs from its StreamingContext, passed when the context creates
 * the stream (the context depends on the receivers, never the reverse).
 */
export interface ReceiverEnvironment {
  /** The context's receiver options (see ReceiverContextOptions). */
  readonly options: import('./options.js').ReceiverContextOptions;
  /** The checkpoint directory as set when the inputs start. */
  checkpointDir(): string | undefined;
  /**
   * Whether the context resumes that directory (StreamingContext.getOrCreate), whatever it held:
   * then a log no checkpoint refers to is a first run's, killed before it recorded its start.
   */
  resumes?(): boolean;
  /** The streaming clock's time, for event infos. */
  now(): number;
  /** Delivers a receiver event to the listeners (onReceiverStarted / Error / Stopped) and events$. */
  post(event: ReceiverEvent): void;
}

interface PendingStore<T> {
  items: readonly T[];
  offset: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  /** With a write-ahead log: the blocks its records went into so far, each written or failed. */
  blocks: Promise<void>[];
}

type State = 'initialized' | 'started' | 'restarting' | 'stopped';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Spark's ReceiverSupervisor: runs one receiver — starts it, restarts it with back-off when it
 * asks to (or when onStart throws), stops it — and turns what it stores into blocks: through the
 * rate limiter, into the block generator, (with the WAL) into the log, then to `onBlock`, which
 * queues the block for allocation to a batch. Receiver errors go to the listeners.
 */
export class ReceiverSupervisor<T> implements ReceiverHost<T> {
  private state: State = 'initialized';
  private readonly generator: BlockGenerator<T>;
  private readonly limiter: RateLimiter;
  private readonly queue: PendingStore<T>[] = [];
  /** whenAdmitted() callers, resolved once the queue is empty. */
  private admissionWaiters: Array<() => void> = [];
  private pumpTimer: NodeJS.Timeout | undefined;
  private restartTimer: { timer: NodeJS.Timeout; done: () => void } | undefined;
  private restarting: Promise<void> | undefined;
  /** The receiver's onStart in progress: settles once it returned (or threw). */
  private starting: Promise<void> | undefined;
  /** The receiver callback a stop waits for now (named by its warning when it does not return). */
  private inCallback: 'onStart' | 'onStop' | undefined;
  private warnedSlowStart = false;
  private backoff: number;
  private wal: FileWriteAheadLog<T> | undefined;
  private walWrites: Promise<unknown> = RESOLVED;
  private lastError: { message: string; error: unknown } | undefined;
  /** Records handed to store() (figures). */
  recordsReceived = 0;
  /** Records in blocks handed to `onBlock` (figures). */
  recordsStored = 0;
  restarts = 0;
  /** Wall-clock ms the input first started (ReceiverHost.firstStartedAt); set by start(). */
  firstStartedAt = 0;

  constructor(
    readonly receiver: Receiver<T>,
    readonly streamId: number,
    readonly name: string,
    private readonly options: ResolvedReceiverOptions,
    private readonly env: ReceiverEnvironment,
    private readonly onBlock: (block: Block<T>) => void,
    private readonly waits: Readonly<ReceiverWaits> = RECEIVER_WAITS,
  ) {
    this.generator = new BlockGenerator<T>(options.blockInterval, 0, (b, settle) => this.pushBlock(b, settle));
    const initial = options.backpressure ? Math.min(options.maxRate, options.initialRate) : options.maxRate;
    this.limiter = new RateLimiter(initial);
    this.backoff = Math.min(FIRST_RESTART_DELAY, options.restartDelay);
    receiver.attach(this);
  }

  get receiverState(): State {
    return this.state;
  }

  get backlogged(): boolean {
    return this.queue.length > 0;
  }

  /** The current rate limit in records/s (Infinity: none). */
  get rate(): number {
    return this.limiter.limit;
  }

  get nextBlockId(): number {
    return this.generator.nextBlockId;
  }

  /** Rate from the backpressure estimator (capped by maxRate). */
  updateRate(rate: number): void {
    this.limiter.setRate(Math.min(this.options.maxRate, Math.max(rate, 1)));
    this.pump();
  }

  /** Cut the records buffered so far into a block now (without a WAL the block is queued at once). */
  flush(): void {
    this.generator.cut();
  }

  /** Starts block generation and the receiver. `firstBlockId` continues the ids found in the WAL. */
  async start(firstBlockId: number, wal?: FileWriteAheadLog<T>, firstStartedAt = Date.now()): Promise<void> {
    if (this.state !== 'initialized') throw new Error(`receiver ${this.name} was already started`);
    this.firstStartedAt = firstStartedAt;
    this.generator.nextBlockId = firstBlockId;
    this.wal = wal;
    this.generator.start();
    await this.startReceiver();
  }

  private async startReceiver(): Promise<void> {
    this.state = 'started';
    // Set before onStart runs: a restart() or stop() it calls (even synchronously) waits for it,
    // so onStop closes what onStart opens (Spark holds a lock over both).
    let started!: () => void;
    const starting = new Promise<void>((resolve) => (started = resolve));
    this.starting = starting;
    this.inCallback = 'onStart';
    // onStart must return quickly (Spark: "must be non-blocking"): say so once when it does not.
    const slow = this.warnedSlowStart
      ? undefined
      : setTimeout(() => {
          this.warnedSlowStart = true;
          console.warn(
            `dstreams: receiver ${this.name} (stream ${this.streamId}): onStart has not returned after ${this.waits.slowStartWarning} ms. ` +
              'onStart must return quickly and receive in the background (a timer, an event handler, a loop it does not await): ' +
              'ssc.start() waits for the first onStart to return, and a stop for any',
          );
        }, this.waits.slowStartWarning);
    slow?.unref();
    let failure: { error: unknown } | undefined;
    try {
      await this.receiver.onStart();
    } catch (e) {
      failure = { error: e };
    } finally {
      clearTimeout(slow);
      if (this.inCallback === 'onStart') this.inCallback = undefined;
      if (this.starting === starting) this.starting = undefined;
      started();
    }
    if (failure) {
      this.restart(`Error starting receiver ${this.name}`, failure.error);
      return;
    }
    if (this.state !== 'started') return; // onStart asked for a restart or stop
    this.post('receiverStarted', true);
  }

  private post(type: ReceiverEvent['type'], active: boolean): void {
    const info: ReceiverInfo = { streamId: this.streamId, name: this.name, active, time: this.env.now() };
    if (this.lastError) {
      info.lastErrorMessage = this.lastError.message;
      if (this.lastError.error !== undefined) info.lastError = this.lastError.error;
    }
    this.env.post({ type, info } as ReceiverEvent);
  }

  // ---- ReceiverHost ------------------------------------------------------------------------

  store(items: readonly T[]): Promise<void> {
    if (this.state !== 'started') {
      return Promise.reject(new Error(`store(): receiver ${this.name} is not running (${this.state})`));
    }
    const n = items.length;
    if (n === 0) return RESOLVED;
    this.recordsReceived += n;
    this.backoff = Math.min(FIRST_RESTART_DELAY, this.options.restartDelay);
    if (this.queue.length === 0) {
      const k = this.limiter.take(n);
      if (k > 0) this.generator.add(items, 0, k);
      if (k === n) return this.wal ? this.generator.whenBlockDone() : RESOLVED;
      return new Promise<void>((resolve, reject) => {
        const req: PendingStore<T> = { items, offset: k, resolve, reject, blocks: [] };
        if (k > 0) this.addedTo(req);
        this.queue.push(req);
        this.schedulePump();
      });
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ items, offset: 0, resolve, reject, blocks: [] });
    });
  }

  /** Some of `req`'s records went into the block being filled: with a log, it settles only once that block is written too. */
  private addedTo(req: PendingStore<T>): void {
    if (!this.wal) return;
    const done = this.generator.whenBlockDone();
    done.catch(() => undefined); // its failure is read when the request settles
    req.blocks.push(done);
  }

  /** All of `req`'s records are in blocks: it settles as they are written (at once without a log). */
  private settle(req: PendingStore<T>): void {
    if (!this.wal) return req.resolve();
    this.addedTo(req);
    Promise.all(req.blocks).then(() => req.resolve(), req.reject);
  }

  /** Resolves once every record handed to store() so far is admitted by the rate limit (ReceiverHost.whenAdmitted). */
  whenAdmitted(): Promise<void> {
    if (this.queue.length === 0) return RESOLVED;
    return new Promise<void>((resolve) => this.admissionWaiters.push(resolve));
  }

  private admitted(): void {
    for (const w of this.admissionWaiters.splice(0)) w();
  }

  /** Admit queued records as the rate allows, in order. */
  private pump(): void {
    while (this.queue.length > 0) {
      const req = this.queue[0]!;
      const remaining = req.items.length - req.offset;
      const k = this.limiter.take(remaining);
      if (k > 0) {
        this.generator.add(req.items, req.offset, req.offset + k);
        req.offset += k;
      }
      if (req.offset < req.items.length) {
        if (k > 0) this.addedTo(req);
        break;
      }
      this.queue.shift();
      this.settle(req);
    }
    if (this.queue.length > 0) this.schedulePump();
    else this.admitted();
  }

  private schedulePump(): void {
    if (this.pumpTimer || this.queue.length === 0) return;
    const req = this.queue[0]!;
    const wait = Math.max(1, this.limiter.waitMs(req.items.length - req.offset));
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = undefined;
      this.pump();
    }, wait);
  }

  private pushBlock(block: Block<T>, settle: { resolve: () => void; reject: (e: unknown) => void }): void {
    if (!this.wal) {
      this.recordsStored += block.records.length;
      this.onBlock(block);
      settle.resolve();
      return;
    }
    let appended: Promise<void>;
    try {
      appended = this.wal.append(block);
    } catch (e) {
      // Called from the block timer: anything thrown here would end the process.
      appended = Promise.reject(e);
    }
    const write = appended.then(
      () => {
        this.recordsStored += block.records.length;
        this.onBlock(block);
        settle.resolve();
      },
      (e: unknown) => {
        // Not durable, so not stored: the store() calls waiting for it reject.
        settle.reject(e);
        this.reportError(`Writing block ${block.id} of ${this.name} to the write-ahead log failed: ${(e as Error)?.message ?? String(e)}`, e);
      },
    );
    this.walWrites = write;
  }

  restart(message: string, error?: unknown): void {
    if (this.state === 'stopped' || this.state === 'initialized' || this.restarting) return;
    this.restarts++;
    this.lastError = { message, error };
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.options.restartDelay);
    this.state = 'restarting';
    this.post('receiverError', false);
    this.restarting = (async () => {
      await this.starting;
      await this.callOnStop();
      // A stop() during onStop found no timer to cancel: no back-off to wait out then.
      if (this.state === 'restarting') {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.restartTimer = { timer, done: resolve };
        });
      }
      this.restartTimer = undefined;
      this.restarting = undefined;
      if (this.state !== 'restarting') return;
      await this.startReceiver();
    })();
  }

  reportError(message: string, error: unknown): void {
    this.lastError = { message, error };
    this.post('receiverError', this.state === 'started');
  }

  /** Set by failReceiver: the input stream's next batch fails with it. */
  fatal: Error | undefined;

  failReceiver(message: string, error: unknown): void {
    this.fatal ??= new Error(`${message}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    // Reported now; the context's stop, which the failed batch starts, stops the receiver.
    this.reportError(message, error);
  }

  stopReceiver(message: string, error?: unknown): void {
    if (this.state === 'stopped') return;
    this.lastError = error === undefined ? this.lastError : { message, error };
    void this.stop(message);
  }

  private async callOnStop(): Promise<void> {
    this.inCallback = 'onStop';
    try {
      await this.receiver.onStop();
    } catch (e) {
      this.lastError = { message: `Error stopping receiver ${this.name}`, error: e };
      this.post('receiverError', false);
    } finally {
      if (this.inCallback === 'onStop') this.inCallback = undefined;
    }
  }

  private stopping: Promise<void> | undefined;

  /**
   * Stops the receiver and block generation; the last records become a final block. The blocks
   * come first, the receiver's onStop after: every store() it made has settled by then (the
   * records the rate limit still held admitted, the final block cut and, with the log, written),
   * so a receiver that acknowledges its source as stores settle (Kafka's commits) acknowledges
   * everything the final batch processes. Once stopping, store() rejects: what the receiver still
   * holds was not received (Spark: a receiver blocked on the rate limiter), its source keeps it.
   */
  stop(_message = 'Stopped by the StreamingContext'): Promise<void> {
    this.stopping ??= (async () => {
      const was = this.state;
      this.state = 'stopped';
      if (this.restartTimer) {
        clearTimeout(this.restartTimer.timer);
        this.restartTimer.done();
      }
      clearTimeout(this.pumpTimer);
      this.pumpTimer = undefined;
      // Records already accepted by store() are not dropped: admit them past the rate limit (a
      // receiver that splits its stores, as Kafka's, keeps this to about one part).
      for (const req of this.queue.splice(0)) {
        this.generator.add(req.items, req.offset, req.items.length);
        this.settle(req);
      }
      this.admitted();
      this.generator.stop();
      await this.walWrites.catch(() => undefined);
      const receiverStopped = (async () => {
        await this.restarting;
        await this.starting;
        if (was === 'started') await this.callOnStop();
      })();
      // Bounded, as Spark's ReceiverTracker waits 10 s for its receivers: an onStart or onStop that
      // never returns does not hold the context's stop. onStop still runs once onStart returns.
      if (!(await settlesWithin(receiverStopped, this.waits.stopWait))) {
        const what = this.inCallback ?? 'onStop';
        console.warn(
          `dstreams: receiver ${this.name} (stream ${this.streamId}): its ${what} has not returned ${this.waits.stopWait} ms after the stop began: ` +
            `stopping without waiting for it${what === 'onStart' ? ' (onStop runs once it returns)' : ''}`,
        );
      }
      if (was !== 'initialized') this.post('receiverStopped', false);
    })();
    return this.stopping;
  }
}
