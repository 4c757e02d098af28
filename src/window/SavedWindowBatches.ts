import type { SavedStreamCheckpoint, StreamCheckpoint } from '../dstream/Checkpointable.js';

/**
 * The parent batches a window keeps in the checkpoint: each saved once, when a commit first sees
 * it inside the window, and deleted once it has left; after a restore, the last batch the
 * checkpoint covers (a resumed window never recomputes its parent up to there).
 */
export class SavedWindowBatches<V> {
  private readonly saved = new Set<number>();
  restoredUpTo = -Infinity;

  /** The slices of a commit: `value(t)` for each not yet saved time of `times` (undefined: none), and the times at or before `horizon`. */
  delta(times: Iterable<number>, horizon: number, value: (t: number) => V | undefined): StreamCheckpoint['slices'] {
    const puts: Array<[number, unknown]> = [];
    const deletes: number[] = [];
    for (const t of times) {
      if (this.saved.has(t)) continue;
      const v = value(t);
      if (v === undefined) continue;
      puts.push([t, v]);
      this.saved.add(t);
    }
    for (const t of this.saved) {
      if (t <= horizon) {
        deletes.push(t);
        this.saved.delete(t);
      }
    }
    return { puts, deletes };
  }

  /** Take back what a checkpoint saved; returns its batches. */
  restore(saved: SavedStreamCheckpoint): Array<[number, V]> {
    this.restoredUpTo = saved.time;
    const out: Array<[number, V]> = [];
    for (const [t, v] of saved.slices) {
      this.saved.add(t);
      out.push([t, v as V]);
    }
    return out;
  }
}
