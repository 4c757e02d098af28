import type { StreamCheckpoint, SavedStreamCheckpoint, Checkpointable, SnapshotChunk, StateKeyCounts } from '../dstream/Checkpointable.js';
import { DStream } from '../dstream/DStream.js';
import { checkStateName } from '../dstream/stateName.js';
import { RDD } from '../rdd/RDD.js';
import type { Duration } from '../util/duration.js';
import { packedArray } from '../util/packedArray.js';
import type { ChangeLog } from './ChangeLog.js';

/**
 * The per-batch "changed keys" hook (`onStateChanges`): for each batch, once its state is
 * committed (after every user function of the batch succeeded, before its outputs run), the keys
 * the batch put and their new values, and the keys it removed (value undefined), in the order the
 * batch changed them; a key changed twice in a batch appears once per change. The arrays are the
 * listener's to keep; the values are the state's own (do not mutate them). The checkpoint's delta
 * log is written from the same changes; a changelog writer (e.g. a Kafka changelog topic) can
 * subscribe here and write them with the batch.
 */
export type StateChangeListener<K, S> = (time: number, keys: readonly K[], values: readonly (S | undefined)[]) => void;

/**
 * What updateStateByKey and mapWithState share: a state that advances one batch at a time, in
 * time order, when the batch runs (the graph materialises this stream's RDD of every batch before
 * the output operations), and the committed version of each remembered batch.
 *
 * A version `P` is immutable once committed: the RDD of batch t, read at any later time, shows
 * batch t's state. `advance(t)` builds version t from version t − slide without changing it;
 * when it throws (a user function failed), nothing is committed.
 */
export abstract class StatefulDStream<T, P> extends DStream<T> implements Checkpointable {
  /** Time of the last committed version (undefined before the first batch, unless restored). */
  protected latestTime: number | undefined;
  /** Committed versions still remembered, by batch time. */
  protected readonly versions = new Map<number, P>();
  /** The state's name (see Checkpointable.stateName), or undefined. */
  readonly stateName: string | undefined;
  private readonly changeListeners: StateChangeListener<unknown, unknown>[] = [];
  /**
   * Edits of the state waiting for the next batch (partitions gained or lost by a scaled-out
   * copy): `puts` as the checkpoint stores them, `seeds` as state values (initial state).
   */
  private readonly pendingEdits: {
    drop: (key: unknown) => boolean;
    puts: ReadonlyArray<readonly [unknown, unknown]>;
    seeds?: ReadonlyArray<readonly [unknown, unknown]>;
  }[] = [];
  /** Seeds the pending edits put into the batch being advanced: published as its first changes. */
  private seeded: Array<readonly [unknown, unknown]> = [];
  /** Scale-out: the initial state was handed to the changelog (seeded per task), not loaded by the first batch. */
  private initialHandedOver = false;
  /** The next checkpoint must be a full copy: an edit changed the state outside a batch, so no delta describes it. */
  private fullCheckpointOwed = false;
  /** Whether the restore under way is an edit's (applyEdits), not a restart's: the batch it rebuilt may not have completed. */
  protected editing = false;
  /** Changes held for a later checkpoint (deferDelta), described before an edit rebuilt the state. */
  private describedHeld: { time: number; delta: StreamCheckpoint | undefined } | undefined;
  /**
   * Scale-out: a small value written with each checkpoint of this stream (its changelog
   * positions), as the `extra` field of the stream's meta in the batch record (`meta/batch`
   * `streams`): it is committed atomically with the batch's delta, so it always describes the
   * state a restore rebuilds (snapshot + delta log), whichever snapshot that restore starts from.
   */
  checkpointExtra: (() => unknown) | undefined;
  /** Scale-out: that value as the restored checkpoint held it (undefined without one). */
  restoredExtra: unknown;

  /**
   * `ephemeral`: the state lives only in memory and is never checkpointed, so no checkpoint
   * directory is required (Structured Streaming's queries without a checkpointLocation).
   * `name`: the state's name (see Checkpointable.stateName).
   */
  constructor(
    protected readonly parent: DStream<unknown>,
    operation: string,
    options: { ephemeral?: boolean; name?: string } = {},
  ) {
    const stateName = checkStateName(options.name, operation);
    super(parent.graph);
    this.stateName = stateName;
    this.mustCheckpoint = true;
    if (!options.ephemeral) this.graph.requireCheckpoint(operation);
    this.graph.materializeEachBatch(this as DStream<unknown>);
  }

  abstract readonly numPartitions: number;

  /** Build and return version `time` from the latest one (at `time` − slide, or none before the first batch). */
  protected abstract advance(time: number): P;

  /** Scale-out: which records of parent batch t the state takes (acceptOnly). */
  private accepting: ((time: number) => ((key: unknown) => boolean) | undefined) | undefined;

  /**
   * Scale-out: only the records of parent batch t whose key `keepFor(t)` accepts reach the state
   * (not those of a task lost since the batch read it); `keepFor(t)` undefined: all of them.
   */
  acceptOnly(keepFor: (time: number) => ((key: unknown) => boolean) | undefined): void {
    this.accepting = keepFor;
  }

  /** Parent batch `time`'s records as the state takes them (acceptOnly). */
  protected input<K, V>(time: number): RDD<[K, V]> | undefined {
    const data = (this.parent as unknown as DStream<[K, V]>).getOrCompute(time);
    const keep = this.accepting?.(time);
    return keep === undefined || data === undefined ? data : data.filter((kv) => keep(kv[0]));
  }

  /** The partitions of the RDD of a version. */
  protected abstract partitionsOf(version: P): T[][];

  abstract checkpointDelta(time: number, full: boolean): StreamCheckpoint | undefined;
  abstract restoreCheckpoint(saved: SavedStreamCheckpoint): void;
  /** Keys in the latest state (0 unless the operation counts them). */
  get size(): number {
    return 0;
  }

  /** Subscribe to each batch's changed keys (see StateChangeListener); returns the unsubscribe function. */
  onStateChanges<K, S>(listener: StateChangeListener<K, S>): () => void {
    if (typeof listener !== 'function') throw new TypeError('onStateChanges needs a function');
    const l = listener as StateChangeListener<unknown, unknown>;
    this.changeListeners.push(l);
    return () => {
      const i = this.changeListeners.indexOf(l);
      if (i >= 0) this.changeListeners.splice(i, 1);
    };
  }

  /** Whether anyone listens to the changes (onStateChanges): else a batch need not list them. */
  protected get publishesChanges(): boolean {
    return this.changeListeners.length > 0;
  }

  /**
   * Tell the listeners batch `time`'s changes (`valueOf` gives the state of a change's entry),
   * after the keys seeded into this batch (seedState), which come first.
   */
  protected publishChanges<K, E, S>(time: number, keys: K[], entries: (E | undefined)[], valueOf: (e: E) => S): void {
    const seeded = this.seeded;
    this.seeded = [];
    if (this.changeListeners.length === 0) return;
    if (seeded.length === 0) {
      const vs = entries.map((e) => (e === undefined ? undefined : valueOf(e)));
      for (const l of this.changeListeners) l(time, keys.slice(), vs);
      return;
    }
    const allKeys: unknown[] = seeded.map(([k]) => k);
    const values: unknown[] = seeded.map(([, v]) => v);
    for (let i = 0; i < keys.length; i++) {
      allKeys.push(keys[i]);
      const e = entries[i];
      values.push(e === undefined ? undefined : valueOf(e));
    }
    for (const l of this.changeListeners) l(time, allKeys.slice(), values);
  }

  /** The initial state's pairs (updateStateByKey's initialRDD, StateSpec.initialState); none by default. */
  protected initialPairs(): ReadonlyArray<readonly [unknown, unknown]> {
    return [];
  }

  /** Whether the first batch starts from the initial state (not once a changelog took it over). */
  protected get loadsInitialState(): boolean {
    return !this.initialHandedOver;
  }

  /**
   * Scale-out: the changelog takes the initial state over — it seeds each task's keys when the
   * task is first owned (seedState) — so the first batch no longer loads it. Its pairs.
   */
  takeInitialState(): ReadonlyArray<readonly [unknown, unknown]> {
    this.initialHandedOver = true;
    return this.initialPairs();
  }

  /**
   * How the checkpoint stores a key that batch `time` set to `value` (what `editState` takes):
   * the value itself unless the operation stores more (mapWithState with a timeout: the time too).
   */
  storedChange(_time: number, value: unknown): unknown {
    return value;
  }

  /** The meta that tells restoreCheckpoint how this stream stores its values (see storedChange); none by default. */
  protected storedForm(): Record<string, unknown> | undefined {
    return undefined;
  }

  /**
   * Scale-out: before the next batch, drop the keys `drop` selects, then put `puts` (key, value
   * as the checkpoint stores it, see storedChange) — a partition lost, or gained with its
   * restored state. The checkpoint after the edit is a full copy (no delta describes an edit).
   */
  editState(drop: (key: unknown) => boolean, puts: ReadonlyArray<readonly [unknown, unknown]>): void {
    if ((this as Checkpointable).stateOnDisk) throw new Error(`${this.kind}: a disk-backed state cannot be edited outside a batch`);
    this.pendingEdits.push({ drop, puts });
  }

  /**
   * Scale-out: before the next batch, put the initial state's pairs `seeds` ([key, state]) — a
   * task owned for the first time. They are stored as written by that batch (storedChange) and
   * published as its first changes (onStateChanges), so its changelog records carry them.
   */
  seedState(seeds: ReadonlyArray<readonly [unknown, unknown]>): void {
    if ((this as Checkpointable).stateOnDisk) throw new Error(`${this.kind}: a disk-backed state cannot be edited outside a batch`);
    this.pendingEdits.push({ drop: () => false, puts: [], seeds });
  }

  /** Applies the pending edits through the checkpoint's own full copy and restore (O(state), once per rebalance). */
  private applyEdits(batchTime: number): void {
    const time = this.latestTime ?? this.zeroTime!;
    const entries = new Map<string, [unknown, unknown]>();
    const keyOf = (k: unknown): string => (typeof k === 'string' ? `s${k}` : `j${JSON.stringify(k)}`);
    // Before the first batch there is no copy to take the meta from: the stream's own says how the puts are stored.
    let meta: unknown = this.storedForm();
    // Changes held for a checkpoint still to be written are described now, as the state was.
    const held = this.heldTime();
    if (held !== undefined) this.describedHeld = { time: held, delta: this.checkpointDelta(held, false) };
    if (this.latestTime !== undefined) {
      const full = this.checkpointDelta(this.latestTime, true);
      meta = full?.meta ?? meta; // the operation's own fields (e.g. mapWithState's stamps) say how to read the copy
      for (const [k, v] of full?.state?.puts ?? []) entries.set(keyOf(k), [k, v]);
    }
    const seeded = new Map<string, readonly [unknown, unknown]>();
    for (const { drop, puts, seeds } of this.pendingEdits.splice(0)) {
      for (const [id, [k]] of entries) if (drop(k)) entries.delete(id);
      for (const [id, [k]] of seeded) if (drop(k)) seeded.delete(id);
      for (const [k, v] of puts) {
        entries.set(keyOf(k), [k, v]);
        seeded.delete(keyOf(k));
      }
      for (const [k, v] of seeds ?? []) {
        entries.set(keyOf(k), [k, this.storedChange(batchTime, v)]);
        seeded.set(keyOf(k), [k, v]);
      }
    }
    this.seeded = [...seeded.values()];
    const restored = this.restoredExtra;
    this.editing = true;
    try {
      void this.restoreCheckpoint({ time, state: [...entries.values()], slices: [], meta });
    } finally {
      this.editing = false;
    }
    this.restoredExtra = restored;
    this.fullCheckpointOwed = true;
  }

  stateKeys(): StateKeyCounts {
    return { inMemory: this.size, onDisk: 0 };
  }

  /** What a named state restored into a changed graph must match. */
  stateShape(): string {
    return this.kind;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent];
  }

  get slideDuration(): Duration {
    return this.parent.slideDuration;
  }

  /**
   * A state stream no output depends on is never initialised: it then simply has no batches.
   * Nor has it batches before the latest whose state is gone (before a restored checkpoint).
   */
  override isTimeValid(time: number): boolean {
    if (this.zeroTime === undefined || !super.isTimeValid(time)) return false;
    if (this.latestTime === undefined) return time > this.advancedThrough;
    return time > this.latestTime || this.versions.has(time);
  }

  /**
   * The batch the state has advanced through: its latest version's, else its zero time — or, for
   * a state a restored graph did not have (named, new: it starts empty), the restored batch (on its
   * slide), so it does not run every batch since the job first started before its first.
   */
  protected get advancedThrough(): number {
    if (this.latestTime !== undefined) return this.latestTime;
    const zero = this.zeroTime!;
    const restored = this.graph.recoveredTime;
    if (restored === undefined || restored <= zero) return zero;
    const slide = this.slideDuration;
    return zero + Math.floor((restored - zero) / slide) * slide;
  }

  compute(time: number): RDD<T> {
    return RDD.deferred(this.numPartitions, () => this.partitionsOf(this.versionAt(time)));
  }

  /** Version `time`, advancing the state up to it first when needed. */
  protected versionAt(time: number): P {
    const known = this.versions.get(time);
    if (known !== undefined) return known;
    if (this.latestTime !== undefined && time <= this.latestTime) {
      throw new Error(`${this.kind}: the state of batch ${time} is no longer remembered`);
    }
    // Batches run in time order and each materialises this stream, so this loop normally does nothing.
    const slide = this.slideDuration;
    for (let t = this.advancedThrough + slide; t < time; t += slide) this.versionAt(t);
    if (this.pendingEdits.length > 0) this.applyEdits(time);
    const version = this.advance(time);
    this.seeded = [];
    this.versions.set(time, version);
    this.latestTime = time;
    return version;
  }

  /**
   * Whether batch `time`'s changes may wait for a later batch's checkpoint (Checkpointable
   * deferDelta): it is the latest batch, no full copy is owed and no scale-out edit or changelog
   * position is pending, which a later checkpoint could not describe.
   */
  protected mayDefer(time: number): boolean {
    return time === this.latestTime && !this.fullCheckpointOwed && this.pendingEdits.length === 0 && this.checkpointExtra === undefined;
  }

  /** The last batch whose changes the stream holds for a later checkpoint (deferDelta), if any. */
  protected heldTime(): number | undefined {
    return undefined;
  }

  /** The version to describe in the checkpoint of batch `time`; undefined when there is none yet. */
  protected versionForCheckpoint(time: number): P | undefined {
    if (this.latestTime === undefined || time > this.latestTime) return undefined;
    const v = this.versions.get(time);
    if (v === undefined) {
      throw new Error(`${this.kind}: checkpoint of batch ${time} asked after its state was forgotten`);
    }
    return v;
  }

  /**
   * The state part of batch `time`'s checkpoint: a full copy of the version (`eachEntry` lists
   * its stored [key, value] pairs) when asked for one or when the change log was dropped, else
   * the keys `log` recorded since the last checkpoint (`stored` gives a changed key's value).
   * Undefined when the stream has no version yet.
   */
  protected stateCheckpoint<K, E>(
    time: number,
    full: boolean,
    log: ChangeLog<K, E>,
    eachEntry: (version: P, put: (key: unknown, value: unknown) => void) => void,
    /** A changed key's stored value (a superseding log hands its changes over as stored: not needed). */
    stored?: (entry: E) => unknown,
  ): StreamCheckpoint | undefined {
    const described = this.describedHeld;
    if (described !== undefined && !full && time <= described.time) {
      this.describedHeld = undefined;
      return described.delta;
    }
    if (this.latestTime === undefined || time > this.latestTime) return undefined;
    const changes = log.take(time);
    const puts: [unknown, unknown][] = [];
    if (this.fullCheckpointOwed) {
      full = true;
      this.fullCheckpointOwed = false;
    }
    const meta = this.checkpointMeta();
    if (full || changes === 'full') {
      // A delta needs no version: a batch deferred (deferDelta) is described after it is forgotten.
      eachEntry(this.versionForCheckpoint(time)!, (k, v) => void puts.push([k, v]));
      return { state: { replace: true, puts, deletes: [] }, ...meta };
    }
    // A superseding log (mapWithState) hands its changes over as stored.
    if ('flat' in changes) return { state: { replace: false, puts, deletes: changes.deletes, flat: changes.flat }, ...meta };
    const deletes: unknown[] = [];
    // Flat: no pair per changed key (a commit of 10 k keys every batch adds up in the collector),
    // sized once and packed (util/packedArray.ts): pushed one by one, its growing copies were
    // ~0.45 MB a commit of 10 k keys (a sampling heap profile of bench/checkpoint.ts, 1 M keys).
    const { keys, entries } = changes;
    if (stored === undefined) throw new Error(`${this.kind}: a change log that is not superseding needs the stored form of its entries`);
    const flat = packedArray<unknown>(2 * keys.length);
    let n = 0;
    for (let i = 0; i < keys.length; i++) {
      const e = entries[i];
      if (e === undefined) deletes.push(keys[i]);
      else {
        flat[n++] = keys[i];
        flat[n++] = stored(e);
      }
    }
    flat.length = n;
    return { state: { replace: false, puts, deletes, flat }, ...meta };
  }

  /**
   * The stream's meta for its checkpoint: the operation's own fields (`own`) and, in a
   * scaled-out job, `extra` (checkpointExtra); `{}` when there is neither (no meta written).
   */
  protected checkpointMeta(own?: Record<string, unknown>): { meta?: Record<string, unknown> } {
    const extra = this.checkpointExtra?.();
    if (extra === undefined) return own === undefined ? {} : { meta: own };
    return { meta: { ...own, extra } };
  }

  /**
   * The whole state as of batch `time` for a snapshot: `chunks` reads the stored entries of the
   * version, which later batches never change (versions are immutable once committed).
   */
  protected snapshotOf(time: number, chunks: (version: P) => Iterable<SnapshotChunk>): Iterable<SnapshotChunk> | undefined {
    const version = this.versions.get(time);
    return version === undefined ? undefined : chunks(version);
  }

  /** Start over from a restored version; `meta`: the restored stream meta (its `extra` becomes restoredExtra). */
  protected restoredAt(time: number, version: P, meta?: unknown): void {
    this.restoredExtra = (meta as { extra?: unknown } | null | undefined)?.extra;
    for (const v of this.versions.values()) this.forgetVersion(v);
    this.versions.clear();
    this.versions.set(time, version);
    this.latestTime = time;
  }

  /**
   * A state's checkpoint is its own delta, written with every batch from the version just
   * committed: no lineage to keep, so its versions are remembered only as long as the streams
   * reading it ask (windows, slice) — not two checkpoint intervals, whose versions' new leaves
   * outlived every scavenge (bench/checkpoint.ts).
   */
  protected override rememberForCheckpoint(_interval: Duration): Duration {
    return this.slideDuration;
  }

  /** Versions at and after this time are kept, whatever the horizon (a checkpoint still compares them); none by default. */
  protected keepsVersionsFrom(): number | undefined {
    return undefined;
  }

  override clearMetadata(time: number): void {
    super.clearMetadata(time);
    const horizon = Math.min(time - (this.rememberDuration ?? this.slideDuration), (this.keepsVersionsFrom() ?? Infinity) - 1);
    for (const [t, v] of this.versions) {
      if (t <= horizon && t !== this.latestTime) {
        this.versions.delete(t);
        this.forgetVersion(v);
      }
    }
  }

  /** Version `version` is no longer remembered (a state whose versions share memory frees what only it needed). */
  protected forgetVersion(_version: P): void {}
}
