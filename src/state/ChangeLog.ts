import { KeyMap } from '../rdd/keys.js';

/**
 * The keys a stateful stream changed, batch by batch, since its last checkpoint: what an
 * incremental checkpoint writes. `E` is what the stream needs to write a key's value later
 * (the committed, never again mutated entry); `undefined` records a removal.
 *
 * The log never costs more than the state itself: once it holds more changes than
 * max(4096, 2 × the state's size) — checkpoints are not being taken, or every key changes
 * every batch — it is dropped and the next checkpoint is a full copy instead.
 */
export class ChangeLog<K, E> {
  private batches: { time: number; keys: K[]; entries: (E | undefined)[]; unique: boolean }[] = [];
  private pending = 0;
  /** A full copy is owed for every checkpoint up to and including the first one at or after this time. */
  private fullUntil: number | undefined;

  /**
   * Batch `time` committed these changes (in order; a later change of a key wins). `unique`: the
   * caller knows no key appears twice (then a checkpoint of this batch alone needs no merge).
   */
  record(time: number, keys: K[], entries: (E | undefined)[], stateSize: number, unique = false): void {
    if (this.fullUntil !== undefined && time <= this.fullUntil) return; // covered by the full copy owed
    if (keys.length > 0) {
      this.batches.push({ time, keys, entries, unique });
      this.pending += keys.length;
    }
    if (this.pending > Math.max(4096, 2 * stateSize)) this.requireFull(time);
  }

  /** Forget the recorded changes: the checkpoint at or after `time` must be a full copy. */
  requireFull(time: number): void {
    this.batches = [];
    this.pending = 0;
    this.fullUntil = Math.max(time, this.fullUntil ?? time);
  }

  /**
   * The changes of every batch up to `time`, each key once with its last entry (undefined:
   * removed), or 'full' when only a full copy can describe them. Consumes them.
   */
  take(time: number): { keys: K[]; entries: (E | undefined)[] } | 'full' {
    let i = 0;
    while (i < this.batches.length && this.batches[i]!.time <= time) i++;
    const taken = this.batches.splice(0, i);
    for (const b of taken) this.pending -= b.keys.length;
    if (this.fullUntil !== undefined) {
      if (time >= this.fullUntil) this.fullUntil = undefined;
      return 'full';
    }
    if (taken.length === 0) return { keys: [], entries: [] };
    // The common case, a checkpoint every batch: that batch's own changes, each key once.
    if (taken.length === 1 && taken[0]!.unique) return taken[0]!;
    const merged = new KeyMap<K, E | undefined>();
    for (const b of taken) for (let j = 0; j < b.keys.length; j++) merged.set(b.keys[j]!, b.entries[j]);
    const keys: K[] = [];
    const entries: (E | undefined)[] = [];
    for (const e of merged.entries()) {
      keys.push(e.key);
      entries.push(e.value);
    }
    return { keys, entries };
  }

  reset(): void {
    this.batches = [];
    this.pending = 0;
    this.fullUntil = undefined;
  }
}
