import type { Checkpointable, SavedStreamCheckpoint, StateKeyCounts, StreamCheckpoint } from '../dstream/Checkpointable.js';
import { DStream } from '../dstream/DStream.js';
import { checkStateName } from '../dstream/stateName.js';
import { RDD } from '../rdd/RDD.js';
import { KeyMap, partitionOf, type KeyEntry } from '../rdd/keys.js';
import type { StateStoreOption } from '../dstream/stateStore.js';
import type { Duration } from '../util/duration.js';
import { SlidingDStream } from './SlidingDStream.js';
import { parentTimes } from './windowArgs.js';

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

/**
 * One parent batch reduced by key, kept while it is inside the window: per partition, keys and
 * values in two arrays (two objects per partition rather than one per pair, for the GC's sake
 * when a long window keeps many batches).
 */
interface BatchSlice<K, V> {
  keys: K[][];
  values: V[][];
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
 * Over 400 lines: the window's state, its slides, its checkpoint and the scale-out hooks that
 * move it (onSlide, editState) all touch the same private structures.
 *
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
 * the window the state holds.
 */
export class ReducedWindowedDStream<K, V> extends SlidingDStream<[K, V], [K, V]> implements Checkpointable {
  readonly numPartitions: number;
  readonly operation: string;
  /** The state's name (see Checkpointable.stateName), or undefined. */
  readonly stateName: string | undefined;
  private readonly filterFunc: ((kv: [K, V]) => boolean) | undefined;

  /** The window's value per key as of `stateTime`, hash-partitioned like the output. */
  private readonly values: KeyMap<K, V>[];
  /** Each parent batch inside that window, reduced by key (time → slice), oldest first. */
  private readonly slices = new Map<number, BatchSlice<K, V>>();
  /**
   * Parent batches after `stateTime` that a checkpoint already holds, reduced by key: a commit
   * after a batch between two slides saves that batch (a resumed job could not compute it
   * again), and the next slide takes it from here rather than from the parent.
   */
  private readonly early = new Map<number, BatchSlice<K, V>>();
  /** After a restore: the last batch of the checkpoint. The parent has no batches up to it. */
  private restoredUpTo = -Infinity;
  /** The time of the window `values` holds; undefined before the first. */
  private stateTime: number | undefined;
  /** Slides computed (their RDD exists) but not yet applied to the state. */
  private readonly pending = new Map<number, Slide<K, V>>();
  private registered = false;
  /** Scale-out: which keys of parent batch t may enter (enterOnly). */
  private entering: ((key: K, time: number) => boolean) | undefined;
  /** How far the state moves at a time: the slide, or (scaled out, stepEveryBatch) every parent batch. */
  private step: Duration;

  // What changed since the last checkpointDelta, tracked only when the context has a checkpoint
  // directory (otherwise nothing would ever collect it).
  /** Changed keys: the partition holding the key, or -1 when it was removed. */
  private readonly changedKeys = new KeyMap<K, number>();
  private slicesAdded: number[] = [];
  private slicesRemoved: number[] = [];
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
    if (options.filterFunc !== undefined && typeof options.filterFunc !== 'function') {
      throw new TypeError(`${operation}: filterFunc must be a function`);
    }
    const numPartitions = options.numPartitions ?? parent.graph.defaultParallelism;
    if (!Number.isInteger(numPartitions) || numPartitions < 1) {
      throw new RangeError(`${operation}: numPartitions must be a positive integer, got ${numPartitions}`);
    }
    const stateName = checkStateName(options.name, operation);
    super(parent, windowDuration, slideDuration, operation);
    this.stateName = stateName;
    this.operation = operation;
    this.numPartitions = numPartitions;
    this.filterFunc = options.filterFunc;
    this.step = this.slideDuration;
    this.values = Array.from({ length: numPartitions }, () => new KeyMap<K, V>());
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
        // Only after a restore: the state is already at or past this slide.
        slide.parts = slide.time === this.stateTime ? this.snapshot() : this.values.map(() => []);
      } else {
        this.advanceTo(slide);
      }
    }
    return slide.parts!;
  }

  private advanceTo(target: Slide<K, V>): void {
    // Earlier slides first, should something have read a later one before them.
    if (this.stateTime !== undefined) {
      for (let t = this.stateTime + this.step; t < target.time; t += this.step) {
        if (!this.pending.has(t) && this.isTimeValid(t)) this.getOrCompute(t);
        // Stepping every batch: a step between two slides has no RDD (nothing reads it).
        const earlier = this.pending.get(t) ?? (this.isTimeValid(t) ? undefined : { time: t });
        if (earlier) this.apply(earlier);
      }
    }
    this.apply(target);
  }

  /** Move the state to the window ending at `slide.time` and keep a copy of it for the slide's RDD. */
  private apply(slide: Slide<K, V>): void {
    if (this.pendingEdits.length > 0) this.applyEdits();
    const time = slide.time;
    const listening = this.slideListeners.length > 0;
    const entered: number[] = [];
    const left: number[] = [];
    const windowStart = time - this.windowDuration; // batches at or before it are out
    const f = this.f;
    const invF = this.invF;
    const track = this.graph.checkpointDir !== undefined;
    const touchedPart: number[] = [];
    const touched: KeyEntry<K, V>[] = [];

    // 1. The parent batches that left the window: inverse-reduce their values out.
    for (const [t, slice] of this.slices) {
      if (t > windowStart) break;
      for (let i = 0; i < slice.keys.length; i++) {
        const values = this.values[i]!;
        const ks = slice.keys[i]!;
        const vs = slice.values[i]!;
        for (let j = 0; j < ks.length; j++) {
          const e = values.entry(ks[j]!);
          if (e === undefined) continue; // dropped by filterFunc: nothing left to subtract from
          e.value = invF(e.value, vs[j]!);
          touchedPart.push(i);
          touched.push(e);
        }
      }
      this.slices.delete(t);
      if (track) this.slicesRemoved.push(t);
      if (listening) left.push(t);
    }

    // 2. The parent batches that entered: reduce each by key once, keep it, reduce it in.
    const since = this.stateTime === undefined ? windowStart : Math.max(this.stateTime, windowStart);
    for (const t of parentTimes(this.parent as DStream<unknown>, since, time)) {
      // A batch a checkpoint already saved, or else the parent's (none up to a restored checkpoint).
      let slice = this.early.get(t);
      if (slice !== undefined) this.early.delete(t);
      else if (t > this.restoredUpTo) {
        slice = this.reduceBatch(t);
        if (slice !== undefined && track) this.slicesAdded.push(t);
      }
      if (slice === undefined) continue; // empty, or at or before the zero time
      for (let i = 0; i < this.numPartitions; i++) {
        const ks = slice.keys[i]!;
        const vs = slice.values[i]!;
        const values = this.values[i]!;
        for (let j = 0; j < ks.length; j++) {
          const v = vs[j]!;
          let fresh = false;
          const e = values.entryOrInit(ks[j]!, () => ((fresh = true), v));
          if (!fresh) e.value = f(e.value, v);
          touchedPart.push(i);
          touched.push(e);
        }
      }
      this.slices.set(t, slice);
      if (listening) entered.push(t);
    }
    // Saved batches this window did not take (none unless the window is shorter than its slide).
    for (const t of this.early.keys()) {
      if (t > time) break;
      this.early.delete(t);
      if (track) this.slicesRemoved.push(t);
    }

    // 3. Keys the filter rejects leave the state; the others are changed puts.
    const keep = this.filterFunc;
    for (let j = 0; j < touched.length; j++) {
      const e = touched[j]!;
      const i = touchedPart[j]!;
      if (keep !== undefined && !keep([e.key, e.value])) {
        this.values[i]!.delete(e.key);
        if (track) this.changedKeys.set(e.key, -1);
      } else if (track) {
        this.changedKeys.set(e.key, i);
      }
    }

    this.stateTime = time;
    this.pending.delete(time);
    if (this.isTimeValid(time)) slide.parts = this.snapshot();
    if (listening) {
      const values: Array<[K, V | undefined]> = touched.map((e, j) => [e.key, this.values[touchedPart[j]!]!.entry(e.key)?.value]);
      const changes = { time, values, slicesAdded: entered.map((t): [number, Array<[K, V]>] => [t, pairsOf(this.slices.get(t)!)]), slicesRemoved: left };
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
    const all = [...this.slices, ...this.early].sort((a, b) => a[0] - b[0]);
    this.slices.clear();
    this.early.clear();
    for (const [t, slice] of all) this.slices.set(t, slice);
    this.fullCheckpointOwed = true;
  }

  /** Parent batch `t` reduced by key, hash-partitioned like the state; undefined when it has no pairs. */
  private reduceBatch(t: number): BatchSlice<K, V> | undefined {
    const batch = this.parent.getOrCompute(t);
    if (!batch) return undefined; // at or before the zero time
    const keep = this.entering;
    const rdd = keep ? batch.filter(([k]) => keep(k, t)) : batch;
    const f = this.f;
    const reduced = rdd.combineByKey((v: V) => v, f, f, this.numPartitions);
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

  /** A copy of the window's pairs, by partition (the state changes at the next slide). */
  private snapshot(): [K, V][][] {
    return this.values.map((values) => {
      const out: [K, V][] = [];
      for (const e of values.entries()) out.push([e.key, e.value]);
      return out;
    });
  }

  // ---- checkpoint --------------------------------------------------------------------------

  /**
   * The changes of the commit after batch `time`: keys put or removed since the last commit (all
   * keys with `full`), the parent batches that entered (slices put, all of them with `full`) and
   * left (slices deleted), and in `meta` the time of the window the state holds.
   */
  checkpointDelta(time: number, full: boolean): StreamCheckpoint {
    if (this.fullCheckpointOwed) {
      full = true;
      this.fullCheckpointOwed = false;
    }
    // Slides up to `time` that nothing has read yet belong to this commit.
    const due = [...this.pending.values()].filter((s) => s.time <= time).sort((a, b) => a.time - b.time);
    for (const s of due) this.produce(s);
    // Parent batches after the last slide, up to `time`, that the next slide will take: saved now,
    // since a job resumed from this commit has no parent batches up to `time`.
    const zero = this.zeroTime!;
    for (const t of parentTimes(this.parent as DStream<unknown>, this.stateTime ?? zero, time)) {
      if (t <= this.restoredUpTo || this.early.has(t)) continue;
      const nextSlide = zero + Math.ceil((t - zero) / this.step) * this.step;
      if (t <= nextSlide - this.windowDuration) continue; // no window takes it
      const slice = this.reduceBatch(t);
      if (slice === undefined) continue;
      this.early.set(t, slice);
      this.slicesAdded.push(t);
    }

    const puts: Array<[unknown, unknown]> = [];
    const deletes: unknown[] = [];
    if (full) {
      for (const values of this.values) for (const e of values.entries()) puts.push([e.key, e.value]);
    } else {
      for (const e of this.changedKeys.entries()) {
        if (e.value < 0) deletes.push(e.key);
        else {
          const v = this.values[e.value]!.entry(e.key);
          if (v) puts.push([e.key, v.value]);
          else deletes.push(e.key);
        }
      }
    }
    const sliceOf = (t: number): BatchSlice<K, V> | undefined => this.slices.get(t) ?? this.early.get(t);
    const sliceTimes = full
      ? [...this.slices.keys(), ...this.early.keys()]
      : [...new Set(this.slicesAdded)].filter((t) => sliceOf(t) !== undefined);
    const slicePuts: Array<[number, unknown]> = sliceTimes.map((t) => [t, pairsOf(sliceOf(t)!)]);
    const sliceDeletes = [...new Set(this.slicesRemoved)].filter((t) => sliceOf(t) === undefined);

    this.changedKeys.clear();
    this.slicesAdded = [];
    this.slicesRemoved = [];
    const meta: ReducedWindowMeta = {
      time: this.stateTime ?? null,
      windowDuration: this.windowDuration,
      slideDuration: this.slideDuration,
    };
    return { state: { replace: full, puts, deletes }, slices: { puts: slicePuts, deletes: sliceDeletes }, meta };
  }

  stateShape(): string {
    return `${this.operation} window=${this.windowDuration} slide=${this.slideDuration}`;
  }

  stateKeys(): StateKeyCounts {
    let n = 0;
    for (const values of this.values) n += values.size;
    return { inMemory: n, onDisk: 0 };
  }

  /** The window's values as of `time`, copied (they change at the next slide); undefined once the state moved past it. */
  stateSnapshot(time: number): Iterable<readonly [unknown, unknown]> | undefined {
    if (this.pending.size > 0 || (this.stateTime !== undefined && this.stateTime > time)) return undefined;
    const out: Array<[unknown, unknown]> = [];
    for (const values of this.values) for (const e of values.entries()) out.push([e.key, e.value]);
    return out;
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
    const n = this.numPartitions;
    for (const values of this.values) values.clear();
    this.slices.clear();
    this.early.clear();
    this.pending.clear();
    for (const [k, v] of saved.state) this.values[partitionOf(k, n)]!.set(k as K, v as V);
    const stateTime = meta?.time ?? undefined;
    const slices = [...saved.slices].sort((a, b) => a[0] - b[0]);
    for (const [t, pairs] of slices) {
      const slice: BatchSlice<K, V> = {
        keys: Array.from({ length: n }, () => []),
        values: Array.from({ length: n }, () => []),
      };
      for (const [k, v] of pairs as Array<[K, V]>) {
        const i = partitionOf(k, n);
        slice.keys[i]!.push(k);
        slice.values[i]!.push(v);
      }
      (stateTime !== undefined && t <= stateTime ? this.slices : this.early).set(t, slice);
    }
    this.stateTime = stateTime;
    this.restoredUpTo = saved.time;
    this.changedKeys.clear();
    this.slicesAdded = [];
    this.slicesRemoved = [];
  }
}

/** A batch slice as the `[key, value]` pairs a checkpoint holds. */
function pairsOf<K, V>(slice: BatchSlice<K, V>): Array<[K, V]> {
  const out: Array<[K, V]> = [];
  for (let i = 0; i < slice.keys.length; i++) {
    const ks = slice.keys[i]!;
    const vs = slice.values[i]!;
    for (let j = 0; j < ks.length; j++) out.push([ks[j]!, vs[j]!]);
  }
  return out;
}
