/** A source of time for batch scheduling. */
export interface Clock {
  getTimeMillis(): number;
}

/** Wall-clock time: batches fire on real timers. */
export class SystemClock implements Clock {
  getTimeMillis(): number {
    return Date.now();
  }
}

/** Something that runs the batches due at a time and resolves once they have completed. */
export type Ticker = (now: number) => Promise<void>;

/**
 * A clock that moves only when told (tests and teaching). `advance(ms)` resolves once every
 * batch due at or before the new time has been generated and completed, output operations included.
 */
export class ManualClock implements Clock {
  private time: number;
  private readonly tickers = new Set<Ticker>();

  constructor(startMs = 0) {
    if (!Number.isFinite(startMs)) throw new RangeError(`ManualClock start time must be a number, got ${startMs}`);
    this.time = startMs;
  }

  getTimeMillis(): number {
    return this.time;
  }

  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance(ms) needs a non-negative number, got ${ms}`);
    this.time += ms;
    await Promise.all([...this.tickers].map((tick) => tick(this.time)));
  }

  /** Set the time (not backwards), running what is due like `advance`. */
  async setTime(ms: number): Promise<void> {
    await this.advance(Math.max(0, ms - this.time));
  }

  /** Used by the scheduler: `tick(now)` runs once per advance. Returns the unsubscribe function. */
  onAdvance(tick: Ticker): () => void {
    this.tickers.add(tick);
    return () => this.tickers.delete(tick);
  }
}
