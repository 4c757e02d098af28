import type { RDD } from '../rdd/RDD.js';

/**
 * Scale-out: a window's parent batches kept per task (input partition), so that each task's part
 * of the window can move to another copy of the job (scaleout/windowBatches.ts writes the slices
 * to a changelog and puts them back on the copy that gains the task).
 *
 * When things happen:
 *  - a window computed, or batch t committed: `at(t)` splits the parent's batch t into its tasks'
 *    slices once (`split`, which knows how the batch maps to tasks) and keeps them;
 *  - a task gained: `put` adds the slices its old owner committed; a task lost: `drop`;
 *  - batch t committed: `forget(t - window)` drops what no later window reaches.
 * A window reads only the slices of the tasks the copy owns (`owned`), so a batch computed just
 * before a task left never shows that task again.
 */
export class TaskBatches<T, S> {
  /** Batch time → task → slice. */
  private readonly batches = new Map<number, Map<number, S>>();
  /** The batch times whose parent batch was split (the others hold only slices put). */
  private readonly splitDone = new Set<number>();

  constructor(
    private readonly parentBatch: (time: number) => RDD<T> | undefined,
    private readonly split: (rdd: RDD<T>, time: number) => Map<number, T[]>,
    private readonly slice: (elements: T[]) => S,
    /** Two slices of one task and batch time: one put, one this copy's own (only across copies whose clocks differ). */
    private readonly merge: (a: S, b: S) => S,
    readonly owned: (task: number) => boolean,
  ) {}

  private byTask(time: number): Map<number, S> {
    let byTask = this.batches.get(time);
    if (byTask === undefined) this.batches.set(time, (byTask = new Map()));
    return byTask;
  }

  /** Batch `time`'s slices by task (the tasks the batch read and the copy still owned when it was cut). Only for a batch generated already. */
  at(time: number): Map<number, S> {
    const byTask = this.byTask(time);
    if (!this.splitDone.has(time)) {
      this.splitDone.add(time);
      const rdd = this.parentBatch(time);
      if (rdd) {
        for (const [task, elements] of this.split(rdd, time)) {
          // A task lost since the batch read it: its part does not commit here (its new owner reads it again).
          if (elements.length === 0 || !this.owned(task)) continue;
          const mine = this.slice(elements);
          const put = byTask.get(task);
          byTask.set(task, put === undefined ? mine : this.merge(put, mine));
        }
      }
    }
    return byTask;
  }

  /** The owned tasks' slices of batch `time`. */
  ownedAt(time: number): S[] {
    const out: S[] = [];
    for (const [task, s] of this.at(time)) if (this.owned(task)) out.push(s);
    return out;
  }

  /** A slice of a gained task, as its old owner committed it. */
  put(time: number, task: number, slice: S): void {
    this.byTask(time).set(task, slice);
  }

  drop(task: number): void {
    for (const byTask of this.batches.values()) byTask.delete(task);
  }

  /** The batches at or before `horizon`, with their tasks, forgotten. */
  forget(horizon: number): Array<[number, number[]]> {
    const out: Array<[number, number[]]> = [];
    for (const [t, byTask] of this.batches) {
      if (t > horizon) continue;
      out.push([t, [...byTask.keys()]]);
      this.batches.delete(t);
      this.splitDone.delete(t);
    }
    return out;
  }
}
