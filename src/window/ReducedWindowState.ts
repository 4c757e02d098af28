import type { SavedStreamCheckpoint, StreamCheckpoint } from '../dstream/Checkpointable.js';
import { KeyMap, partitionOf, type KeyEntry } from '../rdd/keys.js';

/**
 * One parent batch reduced by key, kept while it is inside the window: per partition, keys and
 * values in two arrays (two objects per partition rather than one per pair, for the GC's sake
 * when a long window keeps many batches).
 */
export interface BatchSlice<K, V> {
  keys: K[][];
  values: V[][];
}

/** The keys one slide touched, in order (a key may come more than once): its entry and partition. */
export interface Touched<K, V> {
  entries: KeyEntry<K, V>[];
  parts: number[];
}

/**
 * The state of a window with an inverse function (ReducedWindowedDStream), in memory: the
 * window's value per key, hash-partitioned like the output, each parent batch inside the window
 * reduced by key (a slice), the batches a checkpoint saved ahead of the window, and what changed
 * since the last checkpoint — with how all of it is written to a checkpoint and read back.
 *
 * When things happen: ReducedWindowedDStream moves the state at each slide (`leave`, `enter`,
 * `dropEarly`, `filter`; the changes are tracked only when the context has a checkpoint
 * directory), writes it after each batch (`delta`), and puts a checkpoint back (`restore`) at a
 * restart or a scale-out edit.
 */
export class ReducedWindowState<K, V> {
  /** The window's value per key, by partition. */
  readonly values: KeyMap<K, V>[];
  /** Each parent batch inside the window, reduced by key (time → slice), oldest first. */
  readonly slices = new Map<number, BatchSlice<K, V>>();
  /**
   * Parent batches after the window that a checkpoint already holds, reduced by key: a commit
   * after a batch between two slides saves that batch (a resumed job could not compute it
   * again), and the next slide takes it from here rather than from the parent.
   */
  readonly early = new Map<number, BatchSlice<K, V>>();
  /** After a restore: the last batch of the checkpoint. The parent has no batches up to it. */
  restoredUpTo = -Infinity;

  // What changed since the last delta, tracked only when the context has a checkpoint directory
  // (otherwise nothing would ever collect it).
  /** Changed keys: the partition holding the key, or -1 when it was removed. */
  private readonly changedKeys = new KeyMap<K, number>();
  private slicesAdded: number[] = [];
  private slicesRemoved: number[] = [];

  constructor(readonly numPartitions: number) {
    this.values = Array.from({ length: numPartitions }, () => new KeyMap<K, V>());
  }

  /** The keys in the window. */
  get size(): number {
    let n = 0;
    for (const values of this.values) n += values.size;
    return n;
  }

  /** The parent batches at or before `windowStart` leave: their values inverse-reduced (`invF`) out. Returns their times. */
  leave(windowStart: number, invF: (a: V, b: V) => V, touched: Touched<K, V>, track: boolean): number[] {
    const left: number[] = [];
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
          touched.parts.push(i);
          touched.entries.push(e);
        }
      }
      this.slices.delete(t);
      if (track) this.slicesRemoved.push(t);
      left.push(t);
    }
    return left;
  }

  /** Parent batch `t` enters the window: kept, and its values reduced (`f`) in. */
  enter(t: number, slice: BatchSlice<K, V>, f: (a: V, b: V) => V, touched: Touched<K, V>): void {
    for (let i = 0; i < this.numPartitions; i++) {
      const ks = slice.keys[i]!;
      const vs = slice.values[i]!;
      const values = this.values[i]!;
      for (let j = 0; j < ks.length; j++) {
        const v = vs[j]!;
        let fresh = false;
        const e = values.entryOrInit(ks[j]!, () => ((fresh = true), v));
        if (!fresh) e.value = f(e.value, v);
        touched.parts.push(i);
        touched.entries.push(e);
      }
    }
    this.slices.set(t, slice);
  }

  /** Batch `t` as a checkpoint saved it ahead of the window, taken out of `early`; undefined if none. */
  takeEarly(t: number): BatchSlice<K, V> | undefined {
    const slice = this.early.get(t);
    if (slice !== undefined) this.early.delete(t);
    return slice;
  }

  /** Saved batches up to `time` that the window did not take (none unless the window is shorter than its slide). */
  dropEarly(time: number, track: boolean): void {
    for (const t of this.early.keys()) {
      if (t > time) break;
      this.early.delete(t);
      if (track) this.slicesRemoved.push(t);
    }
  }

  /** Keys the filter rejects leave the state; the others are changed puts. */
  filter(keep: ((kv: [K, V]) => boolean) | undefined, touched: Touched<K, V>, track: boolean): void {
    for (let j = 0; j < touched.entries.length; j++) {
      const e = touched.entries[j]!;
      const i = touched.parts[j]!;
      if (keep !== undefined && !keep([e.key, e.value])) {
        this.values[i]!.delete(e.key);
        if (track) this.changedKeys.set(e.key, -1);
      } else if (track) {
        this.changedKeys.set(e.key, i);
      }
    }
  }

  /** Batch `t` entered from the parent: the next delta puts its slice. */
  added(t: number): void {
    this.slicesAdded.push(t);
  }

  /** Batch `t`, after the window, saved with the next delta (the next slide takes it from here). */
  saveEarly(t: number, slice: BatchSlice<K, V>): void {
    this.early.set(t, slice);
    this.slicesAdded.push(t);
  }

  /** The batches saved ahead join those inside the window (after an edit: they are already in the values put). */
  mergeEarly(): void {
    const all = [...this.slices, ...this.early].sort((a, b) => a[0] - b[0]);
    this.slices.clear();
    this.early.clear();
    for (const [t, slice] of all) this.slices.set(t, slice);
  }

  /** A copy of the window's pairs, by partition (the state changes at the next slide). */
  snapshot(): [K, V][][] {
    return this.values.map((values) => {
      const out: [K, V][] = [];
      for (const e of values.entries()) out.push([e.key, e.value]);
      return out;
    });
  }

  /** A copy of the window's pairs. */
  pairs(): Array<[unknown, unknown]> {
    const out: Array<[unknown, unknown]> = [];
    for (const values of this.values) for (const e of values.entries()) out.push([e.key, e.value]);
    return out;
  }

  /**
   * The changes since the last delta: keys put or removed (all keys with `full`), the parent
   * batches that entered (slices put, all of them with `full`) and left (slices deleted).
   */
  delta(full: boolean): Required<Pick<StreamCheckpoint, 'state' | 'slices'>> {
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
    return { state: { replace: full, puts, deletes }, slices: { puts: slicePuts, deletes: sliceDeletes } };
  }

  /**
   * Back to a checkpoint's state: the window's values, its batches — those up to `stateTime`
   * (the time of the window the checkpoint holds) inside the window, those after it saved early.
   */
  restore(saved: SavedStreamCheckpoint, stateTime: number | undefined): void {
    const n = this.numPartitions;
    for (const values of this.values) values.clear();
    this.slices.clear();
    this.early.clear();
    for (const [k, v] of saved.state) this.values[partitionOf(k, n)]!.set(k as K, v as V);
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
    this.restoredUpTo = saved.time;
    this.changedKeys.clear();
    this.slicesAdded = [];
    this.slicesRemoved = [];
  }
}

/** A batch slice as the `[key, value]` pairs a checkpoint holds. */
export function pairsOf<K, V>(slice: BatchSlice<K, V>): Array<[K, V]> {
  const out: Array<[K, V]> = [];
  for (let i = 0; i < slice.keys.length; i++) {
    const ks = slice.keys[i]!;
    const vs = slice.values[i]!;
    for (let j = 0; j < ks.length; j++) out.push([ks[j]!, vs[j]!]);
  }
  return out;
}
