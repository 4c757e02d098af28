import type { Checkpointable, SavedStreamCheckpoint, StateKeyCounts, StateReader, StreamCheckpoint } from '../dstream/Checkpointable.js';
import { DiskChanges, type Change } from '../dstream/DiskChanges.js';
import type { DStream } from '../dstream/DStream.js';
import type { AsyncState } from '../dstream/DStreamGraph.js';
import { codeOf } from '../rdd/keyCode.js';
import type { RDD } from '../rdd/RDD.js';
import { SpillRDD, SpillWriter, type Spill } from '../rdd/SpillRDD.js';
import type { Duration } from '../util/duration.js';
import type { ReducedWindowedOptions, ReducedWindowMeta } from './ReducedWindowedDStream.js';
import { SlideLogs, type SlideLog } from './SlideLogs.js';
import { SlidingDStream } from './SlidingDStream.js';
import { parentTimes, windowStateArgs } from './windowArgs.js';

/**
 * A parent batch reduced by key: its pairs in memory until the checkpoint holding them is written
 * (`committed`: the batch whose checkpoint put them), then in a local file (`local`) — a slide
 * reads the batches leaving the window synchronously, when its batch is generated if a
 * `transform` reads the window then.
 */
interface Slice<K, V> {
  pairs: Array<[K, V]> | undefined;
  local?: Spill;
  committed?: number;
}

/** What one slide changed besides its keys (those are in DiskChanges, under the same batch): its slices, and the window's key count after it. */
interface DiskSlideLog<K, V> extends SlideLog<Slice<K, V>> {
  keys: number;
}

/** What prepareState returns once the state is there: a promise, so the graph does not read the whole window to materialise it. */
const PREPARED = Promise.resolve();

/**
 * reduceByKeyAndWindow with an inverse function and its state on disk (`{ stateStore: 'disk' }`):
 * the window's value per key is one LevelDB entry (`state/<stream>/<key>`), each parent batch
 * inside the window its reduced pairs (`slices/<stream>/<time>`, as in memory), and nothing is
 * loaded into memory at restart. The same results as ReducedWindowedDStream, incrementally: at each slide the
 * batches that left are inverse-reduced out and those that entered reduced in, touching their keys only.
 *
 * When things happen: a slide runs synchronously, when its batch starts (`prepareState`, from
 * DStreamGraph.materializeState) or when something reads the window's RDD before — an action in a
 * `transform` reads it when the batch is generated, possibly before the batches before it ran.
 * The slices leaving the window are read from memory (commit maybe in flight) or their local
 * file, the keys they and the entering batches hold with synchronous gets (after the changes not
 * yet durable, DiskChanges), `filterFunc` drops keys, and the slide commits: its changes (key by
 * key) and its slices go to the checkpoint of its batch (SlideLogs: a checkpoint holds the window
 * as of its batch, however far the slides ran ahead). When a stream reads the window, the whole
 * window is then spilled to files its RDD reads lazily: the last slide's spill with the slide's
 * changes over it. A restore copies the window's slices to local files and spills the restored
 * window (when read), so that the first batches can slide at once. Memory: the slices entering
 * (until durable) and leaving, the last slides' changes, a chunk. Not supported: scale-out
 * (onSlide, editState).
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
  /** The slides no checkpoint holds yet, and the window's key count the last checkpoint wrote. */
  private readonly logs = new SlideLogs<Slice<K, V>, DiskSlideLog<K, V>>();
  private committedKeys = 0;
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

  /** The window at `time`, read from its spill files (lazily), slid there first if the state is behind. */
  compute(time: number): RDD<[K, V]> {
    return new SpillRDD<K, V>(this.numPartitions, this.operation, () => {
      if (this.stateTime === undefined || time > this.stateTime) this.slideUpTo(time);
      const spill = this.spills.get(time);
      if (spill === undefined) throw new Error(`${this.operation}: the window at ${time} is not kept on disk (restored from the checkpoint, or read by no stream)`);
      return spill;
    });
  }

  prepareState(time: number): Promise<void> | undefined {
    if (!this.isTimeValid(time)) return undefined;
    // At or before the window the state holds (slid ahead, or restored): nothing to do.
    if (this.stateTime === undefined || time > this.stateTime) this.slideUpTo(time);
    return PREPARED;
  }

  /** The slides up to `time`, for batch `time` (read or started); earlier slides caught up go to their own batch's commit when it is still to come (SlideLogs.batchOf). */
  private slideUpTo(time: number): void {
    const first = (this.stateTime ?? this.stateStart(this.slideDuration)) + this.slideDuration;
    for (let t = first; t <= time; t += this.slideDuration) this.slideTo(t, this.logs.batchOf(t, time));
  }

  private pairsOf(t: number, slice: Slice<K, V>): Array<[K, V]> {
    if (slice.pairs !== undefined) return slice.pairs;
    if (slice.local === undefined) throw new Error(`${this.operation}: the batch ${t} of the window is not kept`);
    return readLocal<K, V>(slice.local, this.operation);
  }

  /** Moves the window to `time`: the batches that left out (invF), those that entered in (f); batch `batch` commits the changes. */
  private slideTo(time: number, batch: number): void {
    const windowStart = time - this.windowDuration; // batches at or before it are out
    const reader = this.openReader();
    const f = this.f;
    const invF = this.invF;
    const leaving: Array<[number, Array<[K, V]>, Slice<K, V>]> = [];
    for (const [t, slice] of this.inWindow) {
      if (t > windowStart) break;
      leaving.push([t, this.pairsOf(t, slice), slice]);
    }
    const entering: Array<[number, Slice<K, V>, Array<[K, V]>]> = [];
    const since = this.stateTime === undefined ? windowStart : Math.max(this.stateTime, windowStart);
    for (const t of parentTimes(this.parent as DStream<unknown>, since, time)) {
      const saved = this.early.get(t);
      if (saved !== undefined) entering.push([t, saved, this.pairsOf(t, saved)]);
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
    const log: DiskSlideLog<K, V> = { time, batch, entered: new Map(), removed: new Map(), keys: 0 };
    for (const [t, , slice] of leaving) {
      this.inWindow.delete(t);
      slice.local?.remove();
      log.removed.set(t, undefined);
    }
    for (const [t, slice] of entering) {
      if (!this.early.delete(t)) log.entered.set(t, slice);
      this.inWindow.set(t, slice);
    }
    // Saved batches this window did not take (none unless the window is shorter than its slide).
    for (const [t, slice] of this.early) {
      if (t > time) break;
      this.early.delete(t);
      slice.local?.remove();
      log.removed.set(t, undefined);
    }
    const previous = this.stateTime;
    this.changes.record(batch, mine);
    this.keysOnDisk += added;
    log.keys = this.keysOnDisk;
    this.logs.add(log);
    this.stateTime = time;
    this.spills.set(time, this.isRead ? this.spillWindow(previous, mine) : undefined);
  }

  /** Parent batch `t` reduced by key; undefined when it has no pairs. */
  private reduceBatch(t: number): Array<[K, V]> | undefined {
    const rdd = this.parent.getOrCompute(t);
    if (!rdd) return undefined;
    const pairs = rdd.combineByKeyAs(this.operation, (v: V) => v, this.f, this.f, this.numPartitions).collect();
    return pairs.length > 0 ? pairs : undefined;
  }

  /** The window after a slide into spill files: the window before it (`previous`'s spill, none before the first) with the slide's changes over it. */
  private spillWindow(previous: number | undefined, mine: Map<unknown, Change<K, V>>): Spill {
    const before = previous === undefined ? undefined : this.spills.get(previous);
    if (previous !== undefined && before === undefined) throw new Error(`${this.operation}: the window at ${previous} is not kept on disk`);
    const spill = new SpillWriter(this.numPartitions);
    try {
      if (before !== undefined) {
        const rdd = new SpillRDD<K, V>(this.numPartitions, this.operation, () => before);
        for (let i = 0; i < this.numPartitions; i++) rdd.iteratePartition(i, ([k, v]) => void (mine.has(codeOf(k)) || spill.put(k, v)));
      }
      for (const change of mine.values()) if (change.value !== undefined) spill.put(change.key, change.value);
    } catch (err) {
      spill.abandon();
      throw err;
    }
    return spill.finish();
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
   * The commit after batch `time`: the keys the slides up to it changed, the batches that entered
   * (slices put) and left (slices deleted), the batches after its window that a later slide takes
   * (saved now: a job resumed from this commit has no parent batches up to `time`), and the
   * window's time and key count as of `time` — the slides may have run ahead of it (SlideLogs).
   */
  checkpointDelta(time: number, _full: boolean): StreamCheckpoint {
    const zero = this.zeroTime!;
    const slicePuts: Array<[number, unknown]> = [];
    const put = (t: number, slice: Slice<K, V>): void => {
      slicePuts.push([t, slice.pairs]);
      slice.committed = time;
    };
    for (const t of parentTimes(this.parent as DStream<unknown>, this.logs.slideAt(time, this.stateTime) ?? zero, time)) {
      if (t <= this.restoredUpTo || this.early.has(t)) continue;
      const nextSlide = zero + Math.ceil((t - zero) / this.slideDuration) * this.slideDuration;
      if (t <= nextSlide - this.windowDuration) continue; // no window takes it
      let slice = this.logs.takeAhead(t); // taken by a slide ahead of this commit
      if (slice === undefined) {
        if (this.stateTime !== undefined && t <= this.stateTime) continue; // the state passed it: empty, or saved already
        const pairs = this.reduceBatch(t);
        if (pairs === undefined) continue;
        this.early.set(t, (slice = { pairs }));
      }
      put(t, slice);
    }
    const puts: Array<[unknown, unknown]> = [];
    const deletes: unknown[] = [];
    for (const change of this.changes.take(time)) {
      if (change.value === undefined) deletes.push(change.key);
      else puts.push([change.key, change.value]);
    }
    const { taken, later, slide, puts: entered, deletes: sliceDeletes } = this.logs.take(time, this.stateTime);
    for (const [t, slice] of entered) put(t, slice);
    this.committedKeys = later.length === 0 ? this.keysOnDisk : taken.length > 0 ? taken[taken.length - 1]!.keys : this.committedKeys;
    const meta: ReducedWindowMeta & { keys: number } = {
      time: slide ?? null,
      windowDuration: this.windowDuration,
      slideDuration: this.slideDuration,
      keys: this.committedKeys,
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
   * The commit of batch `time` (and those before it) is written: its changes are read from the
   * store from now on, and its slices' pairs from local files (read synchronously when they leave).
   */
  checkpointWritten(time: number): void {
    this.changes.settle(time);
    for (const slice of [...this.inWindow.values(), ...this.early.values()]) {
      if (slice.committed === undefined || slice.committed > time || slice.pairs === undefined) continue;
      slice.local ??= writeLocal(slice.pairs);
      slice.pairs = undefined;
    }
  }

  /**
   * The window's time and its batches from the checkpoint: the keys stay in the store, the
   * batches are copied to local files, and the window is spilled when a stream reads it — a
   * batch generated at once (a `transform` reading the window) can slide without waiting.
   */
  async restoreCheckpoint(saved: SavedStreamCheckpoint): Promise<void> {
    const meta = saved.meta as Partial<ReducedWindowMeta> | null | undefined;
    if (meta != null && (meta.windowDuration !== this.windowDuration || meta.slideDuration !== this.slideDuration)) {
      throw new Error(
        `${this.operation}: the checkpoint holds a window of ${meta.windowDuration} ms sliding every ` +
          `${meta.slideDuration} ms, this stream's window is ${this.windowDuration} ms sliding every ${this.slideDuration} ms`,
      );
    }
    this.changes.reset();
    for (const slice of [...this.inWindow.values(), ...this.early.values()]) slice.local?.remove();
    this.inWindow.clear();
    this.early.clear();
    for (const spill of this.spills.values()) spill?.remove();
    this.spills.clear();
    const stateTime = (this.stateTime = meta?.time ?? undefined);
    const reader = this.openReader();
    for (const t of await reader.sliceTimes()) {
      const pairs = (await reader.slice(t)) as Array<[K, V]>;
      (stateTime !== undefined && t <= stateTime ? this.inWindow : this.early).set(t, { pairs: undefined, local: writeLocal(pairs) });
    }
    this.restoredUpTo = saved.time;
    this.logs.reset(stateTime, saved.time);
    this.committedKeys = this.keysOnDisk;
    if (stateTime !== undefined && this.isRead) this.spills.set(stateTime, await this.changes.spill(reader, this.numPartitions, (value) => value));
  }
}

/** A batch's pairs in a local file (one spill partition), read back synchronously. */
function writeLocal<K, V>(pairs: Array<[K, V]>): Spill {
  const file = new SpillWriter(1);
  for (const [k, v] of pairs) file.put(k, v);
  return file.finish();
}

function readLocal<K, V>(local: Spill, what: string): Array<[K, V]> {
  const pairs: Array<[K, V]> = [];
  new SpillRDD<K, V>(1, what, () => local).iteratePartition(0, (kv) => void pairs.push(kv));
  return pairs;
}
