import type { Checkpointable, SavedStreamCheckpoint, StreamCheckpoint } from '../dstream/Checkpointable.js';
import { DStream } from '../dstream/DStream.js';
import { checkStateName } from '../dstream/stateName.js';
import { RDD } from '../rdd/RDD.js';
import type { Duration } from '../util/duration.js';
import { SavedWindowBatches } from './SavedWindowBatches.js';
import { SlidingDStream } from './SlidingDStream.js';
import { TaskBatches } from './TaskBatches.js';
import { parentTimes, windowOptions, type WindowOptions } from './windowArgs.js';

declare module '../dstream/DStream.js' {
  interface DStream<T> {
    /**
     * Every `slideDuration`, one element: how many elements this stream had in the last
     * `windowDuration`. As Spark's (a reduceByWindow with an inverse over one key): no element
     * until the stream's first element, `[0]` for an empty window after it.
     */
    countByWindow(windowDuration: Duration, slideDuration?: Duration, options?: WindowOptions): DStream<number>;
  }
}

/**
 * The number of elements in the window: the sum of the counts of the parent batches in
 * `(time - windowDuration, time]`, each batch counted once, when it is first in a window.
 */
export class CountByWindowDStream<T> extends SlidingDStream<T, number> implements Checkpointable {
  /** Count of each parent batch still inside a window (a cache: a missing entry is counted again). */
  private readonly batchCounts = new Map<number, number>();
  /** An element has been counted: from then on an empty window is `[0]` (Spark's key kept at 0), before it nothing. */
  private counted = false;
  /** Batch counts in the checkpoint, and the last batch a recovered checkpoint covers. */
  private readonly savedBatches = new SavedWindowBatches<number>();

  /** Scale-out: each parent batch's count by task (see byTask), or undefined in one process. */
  private tasks: TaskBatches<T, number> | undefined;

  /** The window's name (see Checkpointable.stateName), or undefined. */
  readonly stateName: string | undefined;

  constructor(parent: DStream<T>, windowDuration: Duration, slideDuration?: Duration, options: WindowOptions = {}) {
    const stateName = checkStateName(options?.name, 'countByWindow');
    super(parent, windowDuration, slideDuration, 'countByWindow');
    this.stateName = stateName;
  }

  /** Scale-out: from now on the window counts the owned tasks' slices of each parent batch (`split` cuts a batch into tasks). */
  byTask(split: (rdd: RDD<T>, time: number) => Map<number, T[]>, owned: (task: number) => boolean): TaskBatches<T, number> {
    this.tasks = new TaskBatches<T, number>((t) => this.parent.getOrCompute(t), split, (es) => es.length, (a, b) => a + b, owned);
    return this.tasks;
  }

  compute(time: number): RDD<number> {
    const tasks = this.tasks;
    if (tasks) {
      return RDD.deferred(1, () => {
        let total = 0;
        for (const t of parentTimes(this.parent as DStream<unknown>, time - this.windowDuration, time)) for (const n of tasks.ownedAt(t)) total += n;
        return [[total]];
      });
    }
    const batches: [number, RDD<T>][] = [];
    for (const t of parentTimes(this.parent as DStream<unknown>, time - this.windowDuration, time)) {
      if (t <= this.savedBatches.restoredUpTo) continue; // counted before the crash: batchCounts has it
      const rdd = this.parent.getOrCompute(t);
      if (rdd) batches.push([t, rdd]);
    }
    return RDD.deferred(1, () => {
      let total = 0;
      for (const [t, n] of this.batchCounts) if (t > time - this.windowDuration && t <= this.savedBatches.restoredUpTo) total += n;
      for (const [t, rdd] of batches) {
        let n = this.batchCounts.get(t);
        if (n === undefined) this.batchCounts.set(t, (n = rdd.count()));
        total += n;
      }
      // Batches that left this window leave the cache (a later window never reaches back to them).
      for (const t of this.batchCounts.keys()) if (t <= time - this.windowDuration) this.batchCounts.delete(t);
      if (total > 0) this.counted = true;
      return this.counted ? [[total]] : [[]];
    });
  }

  checkpointDelta(time: number, _full: boolean): StreamCheckpoint {
    const from = time - this.windowDuration;
    const slices = this.savedBatches.delta(parentTimes(this.parent as DStream<unknown>, from, time), from, (t) => {
      let n = this.batchCounts.get(t);
      if (n === undefined && t > this.savedBatches.restoredUpTo) {
        const rdd = this.parent.getOrCompute(t);
        if (rdd) this.batchCounts.set(t, (n = rdd.count()));
      }
      if (n !== undefined && n > 0 && this.inSomeWindow(t)) this.counted = true;
      return n;
    });
    // Counts no later window needs go here too: a window's RDD that is never read never prunes.
    for (const t of this.batchCounts.keys()) if (t <= from) this.batchCounts.delete(t);
    return { slices, meta: { counted: this.counted } };
  }

  /** Whether a window takes parent batch `t`: a window shorter than the slide skips batches, whose elements count nowhere. */
  private inSomeWindow(t: number): boolean {
    const zero = this.zeroTime!;
    const nextSlide = zero + Math.ceil((t - zero) / this.slideDuration) * this.slideDuration;
    return t > nextSlide - this.windowDuration;
  }

  stateShape(): string {
    return `countByWindow window=${this.windowDuration} slide=${this.slideDuration}`;
  }

  restoreCheckpoint(saved: SavedStreamCheckpoint): void {
    for (const [t, n] of this.savedBatches.restore(saved)) {
      this.batchCounts.set(t, n);
      if (n > 0) this.counted = true;
    }
    // A checkpoint written before the flag was saved: the window's own counts tell.
    if ((saved.meta as { counted?: unknown } | undefined)?.counted === true) this.counted = true;
  }
}

DStream.prototype.countByWindow = function <T>(this: DStream<T>, windowDuration: Duration, slideDuration?: Duration, options?: WindowOptions) {
  return new CountByWindowDStream(this, windowDuration, slideDuration, windowOptions('countByWindow', options));
};
