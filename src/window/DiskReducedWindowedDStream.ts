import type { Checkpointable, SavedStreamCheckpoint, StateKeyCounts, StateReader, StreamCheckpoint } from '../dstream/Checkpointable.js';
import { DiskChanges, type Change } from '../dstream/DiskChanges.js';
import type { DStream } from '../dstream/DStream.js';
import type { AsyncState } from '../dstream/DStreamGraph.js';
import { codeOf } from '../rdd/keyCode.js';
import type { RDD } from '../rdd/RDD.js';
import { SpillRDD, type Spill } from '../rdd/SpillRDD.js';
import type { Duration } from '../util/duration.js';
import type { ReducedWindowedOptions, ReducedWindowMeta } from './ReducedWindowedDStream.js';
import { SlidingDStream } from './SlidingDStream.js';
import { parentTimes, windowStateArgs } from './windowArgs.js';

/** A parent batch reduced by key; `committed`: the batch whose checkpoint put it in the store (then it is read back from there once that is written). */
interface Slice<K, V> {
  pairs: Array<[K, V]> | undefined;
  committed?: number;
}

/**
 * reduceByKeyAndWindow with an inverse function and its state on disk (`{ stateStore: 'disk' }`):
 * the window's value per key is one LevelDB entry (`state/<stream>/<key>`), each parent batch
 * inside the window its reduced pairs (`slices/<stream>/<time>`, as in memory), and nothing is
 * loaded at restart. The same results as ReducedWindowedDStream, incrementally: at each slide the
 * batches that left are inverse-reduced out and those that entered reduced in, touching their keys only.
 *
 * When things happen: before a slide's outputs run (`prepareState`, awaited by
 * DStreamGraph.materializeState), the slices leaving the window are read back from the store
 * (asynchronously; a slice whose commit may still be in flight is still in memory), the keys they
 * and the entering batches hold are read with synchronous gets (after the changes not yet durable,
 * DiskChanges), `filterFunc` drops keys, and the slide commits: its changes go to the next
 * checkpoint (key by key, in the batch's atomic commit, with the slices put and deleted). When a
 * stream reads the window, the whole window is then spilled (the store with the changes not yet
 * durable over it) to files its RDD reads lazily. Memory: the slices entering (until durable) and
 * leaving, the last slides' changes, a chunk. Not supported: scale-out (onSlide, editState).
 */
export class DiskReducedWindowedDStream<K, V> extends SlidingDStream<[K, V], [K, V]> implements Checkpointable, AsyncState {
  readonly numPartitions: number;
  readonly operation: string;
  readonly stateName: string | undefined;
  readonly stateOnDisk = true;
  private readonly filterFunc: ((kv: [K, V]) => boolean) | undefined;
  private reader: StateReader | undefined;
  private keysOnDisk = 0;
  private readonly changes = new DiskChanges<K, V>();
  /** The parent batches inside the window of `stateTime`, oldest first (their pairs in memory until durable). */
  private readonly inWindow = new Map<number, Slice<K, V>>();
  /** Parent batches after `stateTime` that a checkpoint saved already: the next slide takes them from here or the store. */
  private readonly early = new Map<number, Slice<K, V>>();
  private restoredUpTo = -Infinity;
  private stateTime: number | undefined;
  /** Each remembered slide's window, spilled (undefined: no stream reads it). */
  private readonly spills = new Map<number, Spill | undefined>();
  private slicesAdded: number[] = [];
  private slicesRemoved: number[] = [];
  private registered = false;
  private read: boolean | undefined;

  constructor(
    parent: DStream<[K, V]>,
    private readonly f: (a: V, b: V) => V,
    private readonly invF: (a: V, b: V) => V,
    windowDuration: Duration,
    slideDuration: Duration | undefined,
    options: ReducedWindowedOptions<K, V>,
  ) {
    const { operation, numPartitions, stateName } = windowStateArgs(parent, options.operation ?? 'reduceByKeyAndWindow with an inverse function', options);
    super(parent, windowDuration, slideDuration, operation);
    this.stateName = stateName;
    this.operation = operation;
    this.numPartitions = numPartitions;
    this.filterFunc = options.filterFunc;
    this.mustCheckpoint = true;
    this.graph.requireCheckpoint(operation);
  }

  /** Only the batches entering at a slide (or saved early) are read from the parent. */
  protected override get parentRememberDuration(): Duration | undefined {
    return (this.rememberDuration ?? this.slideDuration) + this.slideDuration;
  }

  override initialize(zeroTime: number): void {
    super.initialize(zeroTime);
    if (!this.registered) {
      this.registered = true;
      this.graph.materializeEachBatch(this as DStream<unknown>);
    }
  }

  attachStateReader(reader: StateReader, restoredKeys: number): void {
    this.reader = reader;
    this.keysOnDisk = restoredKeys;
  }

  private openReader(): StateReader {
    if (this.reader === undefined) throw new Error(`${this.operation}: the disk state store is not open (the context has no checkpoint store)`);
    return this.reader;
  }

  private get isRead(): boolean {
    return (this.read ??= this.graph.streams.some((s) => s !== this && s.dependencies.includes(this)));
  }

  /** The window at `time`, read from its spill files once the slide was applied (lazily). */
  compute(time: number): RDD<[K, V]> {
    return new SpillRDD<K, V>(this.numPartitions, this.operation, () => {
      const spill = this.spills.get(time);
      if (spill === undefined) throw new Error(`${this.operation}: the window at ${time} is not kept on disk (restored from the checkpoint, or read by no stream)`);
      return spill;
    });
  }

  prepareState(time: number): Promise<void> | undefined {
    if (!this.isTimeValid(time)) return undefined;
    // At or before the window the state holds (after a restore): nothing to do, and nothing to materialise.
    if (this.stateTime !== undefined && time <= this.stateTime) return Promise.resolve();
    return this.slideUpTo(time);
  }

  private async slideUpTo(time: number): Promise<void> {
    const first = this.stateTime === undefined ? time : this.stateTime + this.slideDuration;
    // Slides caught up (batches skipped) are changes of batch `time`: its commit holds them, so
    // the commits of earlier batches, written meanwhile, must not settle them.
    for (let t = first; t <= time; t += this.slideDuration) await this.slideTo(t, time);
  }

  private async pairsOf(t: number, slice: Slice<K, V>): Promise<Array<[K, V]>> {
    if (slice.pairs !== undefined) return slice.pairs;
    const stored = (await this.openReader().slice(t)) as Array<[K, V]> | undefined;
    if (stored === undefined) throw new Error(`${this.operation}: the checkpoint has no batch ${t} of the window`);
    return stored;
  }

  /** Moves the window to `time`: the batches that left out (invF), those that entered in (f); batch `batch` commits the changes. */
  private async slideTo(time: number, batch: number): Promise<void> {
    const windowStart = time - this.windowDuration; // batches at or before it are out
    const reader = this.openReader();
    const f = this.f;
    const invF = this.invF;
    const leaving: Array<[number, Array<[K, V]>]> = [];
    for (const [t, slice] of this.inWindow) {
      if (t > windowStart) break;
      leaving.push([t, await this.pairsOf(t, slice)]);
    }
    const entering: Array<[number, Slice<K, V>, Array<[K, V]>]> = [];
    const since = this.stateTime === undefined ? windowStart : Math.max(this.stateTime, windowStart);
    for (const t of parentTimes(this.parent as DStream<unknown>, since, time)) {
      const saved = this.early.get(t);
      if (saved !== undefined) entering.push([t, saved, await this.pairsOf(t, saved)]);
      else if (t > this.restoredUpTo) {
        const pairs = this.reduceBatch(t);
        if (pairs !== undefined) entering.push([t, { pairs }, pairs]);
      }
    }

    // Nothing is changed before every user function succeeded: the slide works on `mine`.
    const mine = new Map<unknown, Change<K, V>>();
    const before = new Map<unknown, boolean>();
    const current = (code: unknown, key: K): V | undefined => {
      const own = mine.get(code) ?? this.changes.unsettled.get(code);
      const value = own !== undefined ? own.value : (reader.get(key) as V | undefined);
      if (!before.has(code)) before.set(code, value !== undefined);
      return value;
    };
    for (const [, pairs] of leaving) {
      for (const [k, v] of pairs) {
        const code = codeOf(k);
        const old = current(code, k);
        if (old === undefined) continue; // dropped by filterFunc: nothing left to subtract from
        mine.set(code, { key: k, value: invF(old, v), time: batch });
      }
    }
    for (const [, , pairs] of entering) {
      for (const [k, v] of pairs) {
        const code = codeOf(k);
        const old = current(code, k);
        mine.set(code, { key: k, value: old === undefined ? v : f(old, v), time: batch });
      }
    }
    const keep = this.filterFunc;
    let added = 0;
    for (const [code, change] of mine) {
      if (keep !== undefined && change.value !== undefined && !keep([change.key, change.value])) change.value = undefined;
      added += (change.value !== undefined ? 1 : 0) - (before.get(code) ? 1 : 0);
    }

    // Commit the slide.
    for (const [t] of leaving) {
      this.inWindow.delete(t);
      this.slicesRemoved.push(t);
    }
    for (const [t, slice] of entering) {
      if (this.early.delete(t)) this.inWindow.set(t, slice);
      else {
        this.inWindow.set(t, slice);
        this.slicesAdded.push(t);
      }
    }
    // Saved batches this window did not take (none unless the window is shorter than its slide).
    for (const t of this.early.keys()) {
      if (t > time) break;
      this.early.delete(t);
      this.slicesRemoved.push(t);
    }
    this.changes.record(batch, mine);
    this.keysOnDisk += added;
    this.stateTime = time;
    this.spills.set(time, this.isRead ? await this.spillWindow() : undefined);
  }

  /** Parent batch `t` reduced by key; undefined when it has no pairs. */
  private reduceBatch(t: number): Array<[K, V]> | undefined {
    const rdd = this.parent.getOrCompute(t);
    if (!rdd) return undefined;
    const pairs = rdd.combineByKey((v: V) => v, this.f, this.f, this.numPartitions).collect();
    return pairs.length > 0 ? pairs : undefined;
  }

  /** The window as of the last slide — the store with the changes not yet durable over it — into spill files. */
  private spillWindow(): Promise<Spill> {
    return this.changes.spill(this.openReader(), this.numPartitions, (value) => value);
  }

  override clearMetadata(time: number): void {
    super.clearMetadata(time);
    const horizon = time - (this.rememberDuration ?? this.slideDuration);
    for (const [t, spill] of this.spills) {
      if (t > horizon || t === this.stateTime) continue;
      spill?.remove();
      this.spills.delete(t);
    }
  }

  /**
   * The commit after batch `time`: the keys the slides changed, the batches that entered (slices
   * put) and left (slices deleted), the batches after the last slide that the next one takes
   * (saved now: a job resumed from this commit has no parent batches up to `time`), the window's time.
   */
  checkpointDelta(time: number, _full: boolean): StreamCheckpoint {
    const zero = this.zeroTime!;
    for (const t of parentTimes(this.parent as DStream<unknown>, this.stateTime ?? zero, time)) {
      if (t <= this.restoredUpTo || this.early.has(t)) continue;
      const nextSlide = zero + Math.ceil((t - zero) / this.slideDuration) * this.slideDuration;
      if (t <= nextSlide - this.windowDuration) continue; // no window takes it
      const pairs = this.reduceBatch(t);
      if (pairs === undefined) continue;
      this.early.set(t, { pairs });
      this.slicesAdded.push(t);
    }
    const puts: Array<[unknown, unknown]> = [];
    const deletes: unknown[] = [];
    for (const change of this.changes.take(time)) {
      if (change.value === undefined) deletes.push(change.key);
      else puts.push([change.key, change.value]);
    }
    const sliceOf = (t: number): Slice<K, V> | undefined => this.inWindow.get(t) ?? this.early.get(t);
    const slicePuts: Array<[number, unknown]> = [];
    for (const t of new Set(this.slicesAdded)) {
      const slice = sliceOf(t);
      if (slice === undefined) continue;
      slicePuts.push([t, slice.pairs]);
      slice.committed = time;
    }
    const sliceDeletes = [...new Set(this.slicesRemoved)].filter((t) => sliceOf(t) === undefined);
    this.slicesAdded = [];
    this.slicesRemoved = [];
    const meta: ReducedWindowMeta & { keys: number } = {
      time: this.stateTime ?? null,
      windowDuration: this.windowDuration,
      slideDuration: this.slideDuration,
      keys: this.keysOnDisk,
    };
    return { state: { replace: false, puts, deletes }, slices: { puts: slicePuts, deletes: sliceDeletes }, meta };
  }

  stateShape(): string {
    return `${this.operation} window=${this.windowDuration} slide=${this.slideDuration} store=disk`;
  }

  stateKeys(): StateKeyCounts {
    return { inMemory: this.changes.unsettled.size, onDisk: this.keysOnDisk };
  }

  /**
   * The commit of batch `time` (and those before it) is written: its changes and slices are read
   * from the store from now on (a slice's pairs once it leaves the window).
   */
  checkpointWritten(time: number): void {
    this.changes.settle(time);
    for (const slice of [...this.inWindow.values(), ...this.early.values()]) {
      if (slice.committed !== undefined && slice.committed <= time) slice.pairs = undefined;
    }
  }

  /** The window's time and its batches' times from the checkpoint; keys and slices stay in the store. */
  async restoreCheckpoint(saved: SavedStreamCheckpoint): Promise<void> {
    const meta = saved.meta as Partial<ReducedWindowMeta> | null | undefined;
    if (meta != null && (meta.windowDuration !== this.windowDuration || meta.slideDuration !== this.slideDuration)) {
      throw new Error(
        `${this.operation}: the checkpoint holds a window of ${meta.windowDuration} ms sliding every ` +
          `${meta.slideDuration} ms, this stream's window is ${this.windowDuration} ms sliding every ${this.slideDuration} ms`,
      );
    }
    this.changes.reset();
    this.inWindow.clear();
    this.early.clear();
    for (const spill of this.spills.values()) spill?.remove();
    this.spills.clear();
    this.stateTime = meta?.time ?? undefined;
    for (const t of await this.openReader().sliceTimes()) {
      (this.stateTime !== undefined && t <= this.stateTime ? this.inWindow : this.early).set(t, { pairs: undefined });
    }
    this.restoredUpTo = saved.time;
    this.slicesAdded = [];
    this.slicesRemoved = [];
  }
}
