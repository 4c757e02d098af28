/**
 * Group commit's book of the commits queued and not yet written, oldest first (the batch's time;
 * undefined for a metadata-only commit), and of the first write that failed.
 *
 * When things happen: a commit is queued — track(time, write); its write succeeds — it and every
 * commit before it leave the book (LevelDB writes them in order) and `written(time)` is told; a
 * write fails — `failed(error)` is told once, and from then on every check() throws that error.
 * A caller that must wait (waitUntil) first releases a lingering group: company is not worth it.
 */
export class UnwrittenCommits {
  private readonly queued: Array<{ time: number | undefined; written: Promise<void> }> = [];
  private error: { error: unknown } | undefined;

  constructor(
    private readonly hooks: { release(): void; written(time: number): void; failed(error: unknown): void },
  ) {}

  get size(): number {
    return this.queued.length;
  }

  /** Follows a queued commit's write; the promise settles as the write does. */
  track(time: number | undefined, write: Promise<void>): Promise<void> {
    const entry = { time, written: write };
    entry.written = write.then(
      () => {
        this.queued.splice(0, this.queued.indexOf(entry) + 1);
        if (time !== undefined) this.hooks.written(time);
      },
      (error: unknown) => {
        if (this.error === undefined) {
          this.error = { error };
          this.hooks.failed(error);
        }
        throw error;
      },
    );
    this.queued.push(entry);
    return entry.written;
  }

  /** Waits until at most `n` commits are unwritten; throws a failed write's error. */
  async waitUntil(n: number): Promise<void> {
    if (this.queued.length > n) this.hooks.release();
    while (this.queued.length > n) await this.queued[this.queued.length - n - 1]!.written;
    this.check();
  }

  /** Throws the error of the write that failed, if one did. */
  check(): void {
    if (this.error) throw this.error.error;
  }
}
