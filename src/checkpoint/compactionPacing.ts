/**
 * How often the store's LevelDB compaction runs: at a checkpoint interval (StreamingContext asks
 * the Checkpointer), but only when the last one took at most MAX_COMPACTION_SHARE of the time
 * since it began. A checkpoint interval of one short batch would otherwise compact back to back, a
 * whole-store rewrite on a second core the batches' GC also wants (~10 % of the CPU at 1 M
 * records/s, bench/latency.ts).
 */

/** The largest share of the time LevelDB compactions take. */
const MAX_COMPACTION_SHARE = 0.1;

/** Whether a compaction may start at `now`, after `last` (began, took: ms). */
export function compactionDue(last: { began: number; took: number } | undefined, now: number): boolean {
  return last === undefined || last.took <= MAX_COMPACTION_SHARE * (now - last.began);
}

export class CompactionPacing {
  private last: { began: number; took: number } | undefined;

  due(now = performance.now()): boolean {
    return compactionDue(this.last, now);
  }

  /** Runs `compact`, timing it for the next due(). */
  async run(compact: () => Promise<void>): Promise<void> {
    const began = performance.now();
    try {
      await compact();
    } finally {
      this.last = { began, took: performance.now() - began };
    }
  }
}
