import { Appender } from './Appender.js';
import type { ChangeLog } from './ChangeLog.js';
import type { Leaf } from './stateMap.js';

/**
 * What one mapWithState batch (edit `edit`) logs while its records are applied: each key it
 * changes, the key's leaf (undefined: removed) and its value as the batch leaves it, and the
 * entries of earlier batches still in the change log that it supersedes.
 *
 * When things happen: `put` or `removed` at a key's first change in the batch (a put returns the
 * entry's index, the leaf's `at`), `rewrite` at each later write of it; `supersede` whenever the
 * batch replaces, removes or writes in place a leaf that a batch logged, marked at once in that
 * batch's entry (ChangeLog.marksOf), where the leaf was just read, so that a group's take reads no
 * leaf. The batch's own entries it superseded (a put it then removed) are marked by `record`, once
 * the batch committed and is in the log; `fail` voids the marks of a batch that did not commit.
 */
export class BatchChanges<K, S> {
  private readonly keys: Appender<K>;
  private readonly entries: Appender<Leaf<K, S> | undefined>;
  private readonly values: Appender<unknown>;
  /** The oldest batch in the log when this one started: only leaves born since may be logged there. */
  private readonly pendingEdit: number;
  /** The log's marks of batch `pendingEdit + i` at [i] (null: that batch is not in the log). */
  private readonly marks: (Int32Array | null | undefined)[] = [];
  private readonly own: number[] = [];

  constructor(
    private readonly log: ChangeLog<K, Leaf<K, S>>,
    private readonly edit: number,
    /** How many changes the batch before logged (Appender). */
    expected: number,
    /** Arrays of batches the log took, to fill again (ChangeLog's `spare`). */
    reuse: () => unknown[] | undefined,
  ) {
    this.keys = new Appender<K>(expected, reuse);
    this.entries = new Appender<Leaf<K, S> | undefined>(expected);
    this.values = new Appender<unknown>(expected, reuse);
    this.pendingEdit = log.oldestEdit;
  }

  /** Logs `key` put as `leaf` with `value` (the log adds the batch's time where a timeout needs it); returns its index. */
  put(key: K, leaf: Leaf<K, S>, value: unknown): number {
    const at = this.keys.length;
    this.keys.add(key);
    this.entries.add(leaf);
    this.values.add(value);
    return at;
  }

  /** Logs `key` removed. */
  removed(key: K): void {
    this.keys.add(key);
    this.entries.add(undefined);
    this.values.add(undefined);
  }

  /** The batch wrote the key it logged at `at` again: its value is now `value`. */
  rewrite(at: number, value: unknown): void {
    this.values.set(at, value);
  }

  /** The batch replaces, removes or writes in place `leaf`: the entry that logged it, if any is left, is superseded. */
  supersede(leaf: Leaf<K, S>): void {
    const at = leaf.at;
    const born = leaf.born;
    if (at < 0) return;
    if (born === this.edit) this.own.push(at);
    else if (born >= this.pendingEdit) {
      const i = born - this.pendingEdit;
      let marks = this.marks[i];
      if (marks === undefined) marks = this.marks[i] = this.log.marksOf(born) ?? null;
      if (marks !== null) marks[at] = this.edit;
    }
  }

  /** The keys and leaves logged (undefined: removed), in order (the arrays themselves; nothing is logged after). */
  done(): { keys: K[]; entries: (Leaf<K, S> | undefined)[] } {
    return { keys: this.keys.done(), entries: this.entries.done() };
  }

  /**
   * The batch committed at `time`: its changes go into the log (`unique`: no key twice), and the
   * entries of its own that it superseded are marked.
   */
  record(time: number, stateSize: number, unique: boolean): void {
    const { keys, entries } = this.done();
    this.log.record(time, keys, entries, stateSize, unique, this.edit, this.values.done());
    if (this.own.length > 0) {
      const marks = this.log.marksOf(this.edit);
      if (marks !== undefined) for (const at of this.own) marks[at] = this.edit;
    }
  }

  /** The batch failed: the marks it made are void. */
  fail(): void {
    this.log.voidMarks(this.edit);
  }
}
