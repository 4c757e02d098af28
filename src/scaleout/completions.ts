/**
 * Which batches of a scaled-out copy are done (their task transactions committed or skipped,
 * transactions.ts), so a rebalance can wait for the batches generated before it lost a task it
 * is gaining again (assignment.ts).
 *
 * When things happen: `generated(t)` as batch t's partitions are fixed (ScaleOut.owned);
 * `done(t)` after batch t's task transactions, even when they failed; `stop()` releases every
 * wait (the copy is stopping, nothing more completes).
 */
export class BatchCompletions {
  /** The latest batch generated, and the latest done. */
  private lastGenerated = -Infinity;
  private lastDone = -Infinity;
  private waiters: Array<{ time: number; resolve: () => void }> = [];
  private stopped = false;

  get latestGenerated(): number {
    return this.lastGenerated;
  }

  isDone(time: number): boolean {
    return this.lastDone >= time;
  }

  generated(time: number): void {
    if (time > this.lastGenerated) this.lastGenerated = time;
  }

  done(time: number): void {
    if (time > this.lastDone) this.lastDone = time;
    const waiting = this.waiters;
    this.waiters = waiting.filter((w) => w.time > this.lastDone);
    for (const w of waiting) if (w.time <= this.lastDone) w.resolve();
  }

  /** Resolves once batch `time` is done, or at stop. */
  until(time: number): Promise<void> {
    if (this.lastDone >= time || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ time, resolve }));
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.waiters.splice(0)) w.resolve();
  }
}
