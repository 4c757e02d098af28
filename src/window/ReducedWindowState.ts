import type { SavedStreamCheckpoint, StreamCheckpoint } from '../dstream/Checkpointable.js';
import { KeyMap, partitionOf, type KeyEntry } from '../rdd/keys.js';
import { SlideLogs, type SlideLog } from './SlideLogs.js';

/**
 * One parent batch reduced by key, kept while it is inside the window: per partition, keys and
 * values in two arrays (two objects per partition rather than one per pair, for the GC's sake
 * when a long window keeps many batches).
 */
export interface BatchSlice<K, V> {
  keys: K[][];
  values: V[][];
}

/** No value: the key was not in the window (before a slide), or left it (after). */
const ABSENT: unique symbol = Symbol('absent');
type Logged<V> = V | typeof ABSENT;

/** A key a slide changed: its value before the slide and after it. */
interface KeyChange<V> {
  before: Logged<V>;
  after: Logged<V>;
}

/** What one slide changed (see SlideLogs): its keys, with their values before and after it. */
export interface WindowSlideLog<K, V> extends SlideLog<BatchSlice<K, V>> {
  readonly keys: KeyMap<K, KeyChange<V>>;
}

/** The keys one slide touched, in order (a key may come more than once): its entry and partition, and its change in the slide's log (when logged). */
export interface Touched<K, V> {
  entries: KeyEntry<K, V>[];
  parts: number[];
  logged: KeyChange<V>[];
}

/**
 * The state of a window with an inverse function (ReducedWindowedDStream), in memory: the
 * window's value per key, hash-partitioned like the output, each parent batch inside the window
 * reduced by key (a slice), the batches a checkpoint saved ahead of the window, and what each
 * slide since the last checkpoint changed (values before and after, slices) — with how all of it
 * is written to a checkpoint, as of a batch the state may have slid past, and read back.
 *
 * When things happen: ReducedWindowedDStream moves the state at each slide (`leave`, `enter`,
 * `dropEarly`, `filter`; each slide's changes are logged — `openLog` — only when the context has a
 * checkpoint directory), writes it after each batch (`delta`: the slides up to that batch, which
 * may be behind the state), and puts a checkpoint back (`restore`) at a restart or a scale-out edit.
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

  /** The slides no checkpoint holds yet, logged only when the context has a checkpoint directory (otherwise nothing would ever take them). */
  readonly logs = new SlideLogs<BatchSlice<K, V>, WindowSlideLog<K, V>>();

  constructor(readonly numPartitions: number) {
    this.values = Array.from({ length: numPartitions }, () => new KeyMap<K, V>());
  }

  /** The keys in the window. */
  get size(): number {
    let n = 0;
    for (const values of this.values) n += values.size;
    return n;
  }

  /** A log for the slide at `time`, held by batch `batch`'s checkpoint (added to `logs` once the slide succeeded). */
  openLog(time: number, batch: number): WindowSlideLog<K, V> {
    return { time, batch, entered: new Map(), removed: new Map(), keys: new KeyMap() };
  }

  /** The parent batches at or before `windowStart` leave: their values inverse-reduced (`invF`) out. Returns their times. */
  leave(windowStart: number, invF: (a: V, b: V) => V, touched: Touched<K, V>, log: WindowSlideLog<K, V> | undefined): number[] {
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
          if (log !== undefined) touched.logged.push(touch(log, e.key, e.value));
          e.value = invF(e.value, vs[j]!);
          touched.parts.push(i);
          touched.entries.push(e);
        }
      }
      this.slices.delete(t);
      log?.removed.set(t, slice);
      left.push(t);
    }
    return left;
  }

  /** Parent batch `t` enters the window: kept, and its values reduced (`f`) in; `fromParent`: no checkpoint saved it ahead. */
  enter(t: number, slice: BatchSlice<K, V>, f: (a: V, b: V) => V, touched: Touched<K, V>, log: WindowSlideLog<K, V> | undefined, fromParent: boolean): void {
    for (let i = 0; i < this.numPartitions; i++) {
      const ks = slice.keys[i]!;
      const vs = slice.values[i]!;
      const values = this.values[i]!;
      for (let j = 0; j < ks.length; j++) {
        const v = vs[j]!;
        let fresh = false;
        const e = values.entryOrInit(ks[j]!, () => ((fresh = true), v));
        if (log !== undefined) touched.logged.push(touch(log, e.key, fresh ? ABSENT : e.value));
        if (!fresh) e.value = f(e.value, v);
        touched.parts.push(i);
        touched.entries.push(e);
      }
    }
    this.slices.set(t, slice);
    if (fromParent) log?.entered.set(t, slice);
  }

  /** Batch `t` as a checkpoint saved it ahead of the window, taken out of `early`; undefined if none. */
  takeEarly(t: number): BatchSlice<K, V> | undefined {
    const slice = this.early.get(t);
    if (slice !== undefined) this.early.delete(t);
    return slice;
  }

  /** Saved batches up to `time` that the window did not take (none unless the window is shorter than its slide). */
  dropEarly(time: number, log: WindowSlideLog<K, V> | undefined): void {
    for (const [t, slice] of this.early) {
      if (t > time) break;
      this.early.delete(t);
      log?.removed.set(t, slice);
    }
  }

  /** Keys the filter rejects leave the state; the log has each touched key's value after the slide. */
  filter(keep: ((kv: [K, V]) => boolean) | undefined, touched: Touched<K, V>): void {
    const logged = touched.logged.length > 0 ? touched.logged : undefined;
    for (let j = 0; j < touched.entries.length; j++) {
      const e = touched.entries[j]!;
      const kept = keep === undefined || keep([e.key, e.value]);
      if (!kept) this.values[touched.parts[j]!]!.delete(e.key);
      if (logged !== undefined) logged[j]!.after = kept ? e.value : ABSENT;
    }
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
   * The checkpoint of batch `time`: the slides it holds (see SlideLogs) as changes — keys put or
   * removed, slices put (entered, and `saves`: batches after its window) and deleted — or with
   * `full` the whole state as of its window: the keys later slides changed as they were before
   * them, the batches as they were. `current`: the window's time now. Also returns the window's time as of `time`.
   */
  delta(time: number, full: boolean, saves: Array<[number, BatchSlice<K, V>]>, current: number | undefined): Required<Pick<StreamCheckpoint, 'state' | 'slices'>> & { slide: number | undefined } {
    const { taken, later, slide, puts: entered, deletes } = this.logs.take(time, current);
    const puts: Array<[unknown, unknown]> = [];
    const keyDeletes: unknown[] = [];
    const slices = new Map<number, BatchSlice<K, V>>();
    if (full) {
      // Slides ahead of the batch are undone: each key they changed as the first of them found it.
      const undo = new KeyMap<K, Logged<V>>();
      for (const log of later) for (const e of log.keys.entries()) if (!undo.has(e.key)) undo.set(e.key, e.value.before);
      for (const values of this.values) for (const e of values.entries()) if (undo.size === 0 || !undo.has(e.key)) puts.push([e.key, e.value]);
      for (const e of undo.entries()) if (e.value !== ABSENT) puts.push([e.key, e.value]);
      const enteredLater = new Set<number>();
      for (const log of later) for (const t of log.entered.keys()) enteredLater.add(t);
      for (const [t, s] of [...this.slices, ...this.early]) if (!enteredLater.has(t)) slices.set(t, s);
      for (const log of later) for (const [t, s] of log.removed) if (!enteredLater.has(t)) slices.set(t, s!);
    } else {
      const changes = taken.length === 1 ? taken[0]!.keys : new KeyMap<K, KeyChange<V>>();
      if (taken.length > 1) for (const log of taken) for (const e of log.keys.entries()) changes.set(e.key, e.value);
      for (const e of changes.entries()) {
        if (e.value.after === ABSENT) keyDeletes.push(e.key);
        else puts.push([e.key, e.value.after]);
      }
      for (const [t, s] of entered) slices.set(t, s);
    }
    for (const [t, s] of saves) slices.set(t, s);
    const slicePuts: Array<[number, unknown]> = [...slices].map(([t, s]) => [t, pairsOf(s)]);
    return { state: { replace: full, puts, deletes: keyDeletes }, slices: { puts: slicePuts, deletes: deletes.filter((t) => !slices.has(t)) }, slide };
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
    this.logs.reset(stateTime, saved.time);
  }
}

/** Key `key`'s change in the slide of `log`, made at its first touch, with the value it had before (`before`). */
function touch<K, V>(log: WindowSlideLog<K, V>, key: K, before: Logged<V>): KeyChange<V> {
  return log.keys.entryOrInit(key, () => ({ before, after: before })).value;
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
