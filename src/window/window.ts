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
     * Every `slideDuration` (default: this stream's slide), one RDD holding the batches of the last
     * `windowDuration`: the union of this stream's RDDs in `(time - windowDuration, time]`, oldest first.
     */
    window(windowDuration: Duration, slideDuration?: Duration, options?: WindowOptions): DStream<T>;
  }
}

/**
 * Spark's WindowedDStream: at each slide, the union of the parent's RDDs still inside the window.
 * With a checkpoint, each parent batch is saved once as it enters and deleted as it leaves, so a
 * recovered job's first windows still hold the batches from before the crash.
 */
export class WindowedDStream<T> extends SlidingDStream<T, T> implements Checkpointable {
  /** Parent batches in the checkpoint, and the last batch a restored checkpoint covers. */
  private readonly savedBatches = new SavedWindowBatches<T[][]>();
  /** Parent batches read back from a checkpoint. */
  private readonly restored = new Map<number, RDD<T>>();

  /** Scale-out: the parent batches by task (see byTask), or undefined in one process. */
  private tasks: TaskBatches<T, T[]> | undefined;

  /** The window's name (see Checkpointable.stateName), or undefined. */
  readonly stateName: string | undefined;

  /**
   * `operation`: the operation the window is part of (reduceByKeyAndWindow without an inverse
   * keeps its batches in one), for errors and the named state's shape: a restore into another
   * operation that keeps other batches under the same name is refused.
   */
  constructor(
    parent: DStream<T>,
    windowDuration: Duration,
    slideDuration?: Duration,
    options: WindowOptions = {},
    private readonly operation = 'window',
  ) {
    const stateName = checkStateName(options?.name, operation);
    super(parent, windowDuration, slideDuration, operation);
    this.stateName = stateName;
    // A parent batch belongs to several windows: compute it once.
    parent.persist();
  }

  /**
   * Scale-out: from now on the window is the union of the owned tasks' slices of each parent
   * batch (`split` cuts a batch into tasks), which a scaled-out job moves between copies.
   */
  byTask(split: (rdd: RDD<T>, time: number) => Map<number, T[]>, owned: (task: number) => boolean): TaskBatches<T, T[]> {
    this.tasks = new TaskBatches<T, T[]>((t) => this.parent.getOrCompute(t), split, (es) => es, (a, b) => a.concat(b), owned);
    return this.tasks;
  }

  compute(time: number): RDD<T> {
    const rdds: RDD<T>[] = [];
    const tasks = this.tasks;
    if (tasks) {
      // The slices of the tasks this copy owns, when the batch runs (its parent's records are read
      // then); the local checkpoint's batches are not read (the changelog has them).
      this.restored.clear();
      return RDD.deferred(1, () => {
        const out: T[] = [];
        for (const t of parentTimes(this.parent as DStream<unknown>, time - this.windowDuration, time)) {
          for (const slice of tasks.ownedAt(t)) for (let i = 0; i < slice.length; i++) out.push(slice[i]!);
        }
        return [out];
      });
    }
    for (const t of parentTimes(this.parent as DStream<unknown>, time - this.windowDuration, time)) {
      const rdd = t <= this.savedBatches.restoredUpTo ? this.restored.get(t) : this.parent.getOrCompute(t);
      if (rdd) rdds.push(rdd); // times at or before the zero time have none
    }
    for (const t of this.restored.keys()) if (t <= time - this.windowDuration) this.restored.delete(t);
    return RDD.unionAll(rdds);
  }

  checkpointDelta(time: number, _full: boolean): StreamCheckpoint {
    // Every parent batch a later window can still reach, not only the one of this batch: the
    // parent may slide slower than the batches (a window of a window), and its grid is only
    // aligned with `time - windowDuration` at its own slide times.
    const from = time - this.windowDuration;
    const slices = this.savedBatches.delta(parentTimes(this.parent as DStream<unknown>, from, time), from, (t) => {
      // Scaled out, the window's batches are in its changelog: the local checkpoint does not keep them.
      const rdd = t <= this.savedBatches.restoredUpTo || this.tasks ? undefined : this.parent.getOrCompute(t);
      if (!rdd) return undefined;
      const parts: T[][] = [];
      for (let i = 0; i < rdd.numPartitions; i++) parts.push(rdd.partition(i));
      return parts;
    });
    return { slices };
  }

  stateShape(): string {
    return `${this.operation} window=${this.windowDuration} slide=${this.slideDuration}`;
  }

  restoreCheckpoint(saved: SavedStreamCheckpoint): void {
    for (const [t, parts] of this.savedBatches.restore(saved)) this.restored.set(t, RDD.fromPartitions(parts));
  }
}

DStream.prototype.window = function <T>(this: DStream<T>, windowDuration: Duration, slideDuration?: Duration, options?: WindowOptions) {
  return new WindowedDStream(this, windowDuration, slideDuration, windowOptions('window', options));
};
