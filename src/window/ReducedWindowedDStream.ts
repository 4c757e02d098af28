import { snapshotChunksOf, type Checkpointable, type SavedStreamCheckpoint, type SnapshotChunk, type StateKeyCounts, type StreamCheckpoint } from '../dstream/Checkpointable.js';
import { DStream } from '../dstream/DStream.js';
import { RDD } from '../rdd/RDD.js';
import type { StateStoreOption } from '../dstream/stateStore.js';
import type { Duration } from '../util/duration.js';
import { SlidingDStream } from './SlidingDStream.js';
import { parentTimes, windowStateArgs } from './windowArgs.js';
import { pairsOf, ReducedWindowState, type BatchSlice, type Touched } from './ReducedWindowState.js';

export interface ReduceByKeyAndWindowOptions<K, V> {
  /** Partitions of each output RDD (default: the context's `defaultParallelism`). */
  numPartitions?: number;
  /** Keeps only the pairs it accepts; the others leave the window's state (e.g. `([, n]) => n !== 0`). */
  filterFunc?: (kv: [K, V]) => boolean;
  /**
   * Names the window's state: it is checkpointed under this name, and getOrCreate restores it
   * into a changed graph (see API.md, getOrCreate).
   */
  name?: string;
  /**
   * Where the window's state lives: `'memory'` (the default) or `'disk'` — the window's value per
   * key and its batches in the checkpoint's LevelDB store, nothing loaded at restart
   * (docs/state-stores.md).
   */
  stateStore?: StateStoreOption;
}

/** How an operation built on this stream names itself and whether it needs a checkpoint directory. */
export interface ReducedWindowedOptions<K, V> extends ReduceByKeyAndWindowOptions<K, V> {
  /** The operation's name in errors (default `reduceByKeyAndWindow with an inverse function`). */
  operation?: string;
  /** Whether `start()` needs `checkpoint(dir)` (default true). */
  requireCheckpoint?: boolean;
}

/** The small value the stream writes with each checkpoint. */
export interface ReducedWindowMeta {
  /** The time of the window the saved state holds (null before the first). */
  time: number | null;
  windowDuration: Duration;
  slideDuration: Duration;
}

/** What one slide changed, for a scaled-out job's changelog (see onSlide). */
export interface WindowSlideChanges<K, V> {
  time: number;
  /** Keys whose window value changed: [key, value], value undefined when the key left. */
  values: Array<[K, V | undefined]>;
  /** Parent batches that entered the window, reduced by key. */
  slicesAdded: Array<[number, Array<[K, V]>]>;
  /** Parent batches that left it. */
  slicesRemoved: number[];
}

/** One slide of the window: its time, and once applied, the window's pairs by partition. */
interface Slide<K, V> {
  readonly time: number;
  parts?: [K, V][][];
}

const DEFAULT_OPERATION = 'reduceByKeyAndWindow with an inverse function';

/**
 * Spark's ReducedWindowedDStream, kept incrementally: the stream holds the current window's
 * value per key and, for each parent batch inside the window, that batch reduced by key. At each
 * slide the new window is the previous one, minus (`invF`) the batches that left, plus (`f`) the
 * batches that entered, each batch reduced once when it enters. The work of a slide follows the
 * data that entered and left, not the window's length.
 *
 * Keys whose value fell to the inverse's zero (e.g. `["c", 0]`) stay until `filterFunc` drops
 * them, as in Spark. `f` and `invF` must not mutate their arguments: a batch's reduced values are
 * kept to be subtracted when the batch leaves.
 *
 * The state is checkpointed incrementally (see {@link Checkpointable}): the keys changed since the
 * last commit, the batches that entered (slices put) and left (slices deleted), and the time of
 * the window the state holds. The state itself and its checkpoint form: ReducedWindowState.ts;
 * here, when and how it moves, and the scale-out hooks that move it (onSlide, editState).
 *
 * When things happen: at each slide's time the window's RDD is made (`compute`, deferred); the
 * state moves to it, earlier slides first, when the batch starts running (the graph materializes
 * the stream every batch, DStreamGraph.materializeState) or when something reads the RDD before —
 * an action in a `transform` reads it when the batch is generated, possibly before the batches
 * before it ran; a commit applies any slide still due (`checkpointDelta`). Each slide's changes are
 * logged (SlideLogs) until the commit of its batch takes them, so a commit holds the window as of
 * its batch however far the state moved on. Scaled out, edits wait for the next slide, and a
 * window sliding slower than its parent steps at every parent batch (`stepEveryBatch`, `stepTo`).
 */
export class ReducedWindowedDStream<K, V> extends SlidingDStream<[K, V], [K, V]> implements Checkpointable {
  readonly numPartitions: number;
  readonly operation: string;
  /** The state's name (see Checkpointable.stateName), or undefined. */
  readonly stateName: string | undefined;
  private readonly filterFunc: ((kv: [K, V]) => boolean) | undefined;

  /** The window's values and batches as of `stateTime`, and what changed since the last checkpoint. */
  private readonly state: ReducedWindowState<K, V>;
  /** The time of the window `state` holds; undefined before the first. */
  private stateTime: number | undefined;
  /** Slides computed (their RDD exists) but not yet applied to the state. */
  private readonly pending = new Map<number, Slide<K, V>>();
  private registered = false;
  /** Scale-out: which keys of parent batch t may enter (enterOnly). */
  private entering: ((key: K, time: number) => boolean) | undefined;
  /** How far the state moves at a time: the slide, or (scaled out, stepEveryBatch) every parent batch. */
  private step: Duration;

  /** Scale-out: told each slide's changes (onSlide). */
  private readonly slideListeners: ((changes: WindowSlideChanges<K, V>) => void)[] = [];
  /** Scale-out: edits waiting for the next slide (editState). */
  private readonly pendingEdits: Array<{ drop: (key: K) => boolean; values: Array<[K, V]>; slices: Array<[number, Array<[K, V]>]> }> = [];
  /** The next checkpoint must be a full copy: an edit changed the state outside a slide, so no delta describes it. */
  private fullCheckpointOwed = false;

  constructor(
    parent: DStream<[K, V]>,
    private readonly f: (a: V, b: V) => V,
    private readonly invF: (a: V, b: V) => V,
    windowDuration: Duration,
    slideDuration?: Duration,
    options: ReducedWindowedOptions<K, V> = {},
  ) {
    const operation = options.operation ?? DEFAULT_OPERATION;
    if (typeof f !== 'function') throw new TypeError(`${operation} needs a reduce function`);
    if (typeof invF !== 'function') throw new TypeError(`${operation} needs an inverse reduce function`);
    const { numPartitions, stateName } = windowStateArgs(parent, operation, options);
    super(parent, windowDuration, slideDuration, operation);
    this.stateName = stateName;
    this.operation = operation;
    this.numPartitions = numPartitions;
    this.filterFunc = options.filterFunc;
    this.step = this.slideDuration;
    this.state = new ReducedWindowState<K, V>(numPartitions);
    this.mustCheckpoint = true;
    if (options.requireCheckpoint ?? true) this.graph.requireCheckpoint(operation);
  }

  /** Only the batches entering at a slide are read from the parent; those leaving are kept here. */
  protected override get parentRememberDuration(): Duration | undefined {
    return (this.rememberDuration ?? this.slideDuration) + this.slideDuration;
  }

  /** The state moves at every slide, whether or not an output reads the window then. */
  override initialize(zeroTime: number): void {
    super.initialize(zeroTime);
    if (!this.registered) {
      this.registered = true;
      this.graph.materializeEachBatch(this as DStream<unknown>);
    }
  }

  /** The window at `time`: the previous window, minus the batches that left, plus those that entered. */
  compute(time: number): RDD<[K, V]> {
    const slide: Slide<K, V> = { time };
    if (this.stateTime === undefined || time > this.stateTime) this.pending.set(time, slide);
    return RDD.deferred(this.numPartitions, () => this.produce(slide));
  }

  /** The window's pairs at the slide's time, moving the state there first (in time order). */
  private produce(slide: Slide<K, V>): [K, V][][] {
    if (slide.parts === undefined) {
      if (this.stateTime !== undefined && slide.time <= this.stateTime) {
        // Only after a restore (or once forgotten): the state is already at or past this slide.
        if (slide.time < this.stateTime) throw new Error(`${this.operation}: the window at ${slide.time} is no longer kept (the state is at ${this.stateTime})`);
        slide.parts = this.state.snapshot();
      } else {
        this.advanceTo(slide);
      }
    }
    return slide.parts!;
  }

  private advanceTo(target: Slide<K, V>): void {
    // Earlier slides first (the first one included), should something have read a later one before them.
    for (let t = (this.stateTime ?? this.stateStart(this.step)) + this.step; t < target.time; t += this.step) {
      if (!this.pending.has(t) && this.isTimeValid(t)) this.getOrCompute(t);
      // Stepping every batch: a step between two slides has no RDD (nothing reads it).
      const earlier = this.pending.get(t) ?? (this.isTimeValid(t) ? undefined : { time: t });
      if (earlier) this.apply(earlier, target.time);
    }
    this.apply(target, target.time);
  }

  /** Move the state to the window ending at `slide.time` (for batch `trigger`) and keep a copy of it for the slide's RDD. */
  private apply(slide: Slide<K, V>, trigger: number): void {
    if (this.pendingEdits.length > 0) this.applyEdits();
    const state = this.state;
    const time = slide.time;
    const listening = this.slideListeners.length > 0;
    const entered: number[] = [];
    const windowStart = time - this.windowDuration; // batches at or before it are out
    // Logged for the checkpoints (none without a checkpoint directory: nothing would take them).
    const log = this.graph.checkpointDir !== undefined ? state.openLog(time, state.logs.batchOf(time, trigger)) : undefined;
    const touched: Touched<K, V> = { entries: [], parts: [], logged: [] };

    // 1. The parent batches that left the window: inverse-reduce their values out.
    const left = state.leave(windowStart, this.invF, touched, log);

    // 2. The parent batches that entered: reduce each by key once, keep it, reduce it in.
    const since = this.stateTime === undefined ? windowStart : Math.max(this.stateTime, windowStart);
    for (const t of parentTimes(this.parent as DStream<unknown>, since, time)) {
      // A batch a checkpoint already saved, or else the parent's (none up to a restored checkpoint).
      let slice = state.takeEarly(t);
      const fromParent = slice === undefined;
      if (fromParent && t > state.restoredUpTo) slice = this.reduceBatch(t);
      if (slice === undefined) continue; // empty, or at or before the zero time
      state.enter(t, slice, this.f, touched, log, fromParent);
      if (listening) entered.push(t);
    }
    state.dropEarly(time, log);

    // 3. Keys the filter rejects leave the state; the others are changed puts.
    state.filter(this.filterFunc, touched);

    if (log !== undefined) state.logs.add(log);
    this.stateTime = time;
    this.pending.delete(time);
    if (this.isTimeValid(time)) slide.parts = state.snapshot();
    if (listening) {
      const values: Array<[K, V | undefined]> = touched.entries.map((e, j) => [e.key, state.values[touched.parts[j]!]!.entry(e.key)?.value]);
      const changes = { time, values, slicesAdded: entered.map((t): [number, Array<[K, V]>] => [t, pairsOf(state.slices.get(t)!)]), slicesRemoved: left };
      for (const l of this.slideListeners) l(changes);
    }
  }

  /**
   * Scale-out: `listener(changes)` after each slide is applied, with the keys whose window value
   * changed and the parent batches that entered and left the window.
   */
  onSlide(listener: (changes: WindowSlideChanges<K, V>) => void): void {
    this.slideListeners.push(listener);
  }

  /**
   * Scale-out, a window sliding slower than its parent: from now on the state moves at every
   * parent batch (the window ending at each batch time), while the stream still produces an RDD
   * only at its slides — so every batch's changes are known when the batch commits (`stepTo`).
   * Each parent batch still enters and leaves once; what grows is the changes a slide reports.
   */
  stepEveryBatch(): void {
    this.step = (this.parent as DStream<unknown>).slideDuration;
  }

  /** Scale-out: only the pairs of parent batch t whose key `keep(key, t)` accepts enter the window (not those of a task lost since the batch read it). */
  enterOnly(keep: (key: K, time: number) => boolean): void {
    this.entering = keep;
  }

  /** Scale-out: the state moved to the window ending at batch `time` (a no-op when it is there already). */
  stepTo(time: number): void {
    if (this.stateTime !== undefined && time <= this.stateTime) return;
    const slide = this.pending.get(time);
    this.advanceTo(slide ?? { time });
  }

  /**
   * Scale-out: before the next slide, drop the keys `drop` selects (from the window's values and
   * its batches), then put `values` and the batches' pairs `slices` (a partition gained).
   */
  editState(drop: (key: K) => boolean, values: Array<[K, V]>, slices: Array<[number, Array<[K, V]>]>): void {
    this.pendingEdits.push({ drop, values, slices });
  }

  /** The edits, through the checkpoint's own full copy and restore (O(state), once per rebalance). */
  private applyEdits(): void {
    const full = this.checkpointDelta(this.stateTime ?? this.zeroTime!, true);
    let state = (full.state as { puts: Array<[K, V]> }).puts;
    const slices = new Map((full.slices as { puts: Array<[number, Array<[K, V]>]> }).puts);
    for (const { drop, values, slices: added } of this.pendingEdits.splice(0)) {
      state = state.filter(([k]) => !drop(k)).concat(values);
      for (const [t, pairs] of slices) slices.set(t, pairs.filter(([k]) => !drop(k)));
      for (const [t, pairs] of added) slices.set(t, (slices.get(t) ?? []).concat(pairs));
    }
    const time = this.stateTime ?? this.zeroTime!;
    this.restoreCheckpoint({ time, state, slices: [...slices], meta: full.meta });
    // The batches put are already in the values put: they are inside the window, not waiting
    // to enter it (a scaled-out window moves every batch, so nothing else waits there).
    this.state.mergeEarly();
    this.fullCheckpointOwed = true;
  }

  /** Parent batch `t` reduced by key, hash-partitioned like the state; undefined when it has no pairs. */
  private reduceBatch(t: number): BatchSlice<K, V> | undefined {
    const batch = this.parent.getOrCompute(t);
    if (!batch) return undefined; // at or before the zero time
    const keep = this.entering;
    const rdd = keep ? batch.filter(([k]) => keep(k, t)) : batch;
    const f = this.f;
    const reduced = rdd.combineByKeyAs(this.operation, (v: V) => v, f, f, this.numPartitions);
    const slice: BatchSlice<K, V> = { keys: [], values: [] };
    let size = 0;
    for (let i = 0; i < this.numPartitions; i++) {
      const ks: K[] = [];
      const vs: V[] = [];
      reduced.iteratePartition(i, ([k, v]) => {
        ks.push(k);
        vs.push(v);
      });
      size += ks.length;
      slice.keys.push(ks);
      slice.values.push(vs);
    }
    return size > 0 ? slice : undefined;
  }

  // ---- checkpoint --------------------------------------------------------------------------

  /**
   * The changes of the commit after batch `time`: keys put or removed by the slides up to it (all
   * keys with `full`), the parent batches that entered (slices put, all of them with `full`) and
   * left (slices deleted), and in `meta` the time of the window as of `time` — the state may have
   * slid past it (SlideLogs), the checkpoint never does.
   */
  checkpointDelta(time: number, full: boolean): StreamCheckpoint {
    if (this.fullCheckpointOwed) {
      full = true;
      this.fullCheckpointOwed = false;
    }
    // Slides up to `time` that nothing has read yet belong to this commit.
    const due = [...this.pending.values()].filter((s) => s.time <= time).sort((a, b) => a.time - b.time);
    for (const s of due) this.produce(s);
    // Parent batches after the window as of `time`, up to `time`, that a later slide takes (or
    // took already, ahead of this commit): saved now, since a job resumed from this commit has no
    // parent batches up to `time`.
    const zero = this.zeroTime!;
    const slideNow = this.state.logs.slideAt(time, this.stateTime);
    const saves: Array<[number, BatchSlice<K, V>]> = [];
    for (const t of parentTimes(this.parent as DStream<unknown>, slideNow ?? zero, time)) {
      if (t <= this.state.restoredUpTo || this.state.early.has(t)) continue;
      const nextSlide = zero + Math.ceil((t - zero) / this.step) * this.step;
      if (t <= nextSlide - this.windowDuration) continue; // no window takes it
      let slice = this.state.logs.takeAhead(t);
      if (slice === undefined) {
        if (this.stateTime !== undefined && t <= this.stateTime) continue; // the state passed it: empty, or saved already
        slice = this.reduceBatch(t);
        if (slice === undefined) continue;
        this.state.early.set(t, slice);
      }
      saves.push([t, slice]);
    }

    const { state, slices, slide } = this.state.delta(time, full, saves, this.stateTime);
    const meta: ReducedWindowMeta = {
      time: slide ?? null,
      windowDuration: this.windowDuration,
      slideDuration: this.slideDuration,
    };
    return { state, slices, meta };
  }

  stateShape(): string {
    return `${this.operation} window=${this.windowDuration} slide=${this.slideDuration}`;
  }

  stateKeys(): StateKeyCounts {
    return { inMemory: this.state.size, onDisk: 0 };
  }

  /** The window's values as of `time`, copied (they change at the next slide); undefined once the state moved past it. */
  stateSnapshot(time: number, size: number): Iterable<SnapshotChunk> | undefined {
    if (this.pending.size > 0 || (this.stateTime !== undefined && this.stateTime > time)) return undefined;
    return snapshotChunksOf(this.state.pairs(), size);
  }

  /**
   * Back to the state of a checkpoint: the window's values, its batches, the window's time, and
   * the batches after that window the checkpoint saved for the next slide.
   */
  restoreCheckpoint(saved: SavedStreamCheckpoint): void {
    const meta = saved.meta as Partial<ReducedWindowMeta> | null | undefined;
    if (
      meta != null &&
      (meta.windowDuration !== this.windowDuration || meta.slideDuration !== this.slideDuration)
    ) {
      throw new Error(
        `${this.operation}: the checkpoint holds a window of ${meta.windowDuration} ms sliding every ` +
          `${meta.slideDuration} ms, this stream's window is ${this.windowDuration} ms sliding every ${this.slideDuration} ms`,
      );
    }
    this.pending.clear();
    this.stateTime = meta?.time ?? undefined;
    this.state.restore(saved, this.stateTime);
  }
}
