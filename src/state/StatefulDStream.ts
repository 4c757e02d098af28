import type { StreamCheckpoint, SavedStreamCheckpoint, Checkpointable } from '../dstream/Checkpointable.js';
import { DStream } from '../dstream/DStream.js';
import { RDD } from '../rdd/RDD.js';
import type { Duration } from '../util/duration.js';
import type { ChangeLog } from './ChangeLog.js';

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
  /** Told each batch's changed keys (scale-out changelogs); see onChangedKeys. */
  private readonly changeListeners: ((time: number, changes: ReadonlyArray<readonly [unknown, unknown]>) => void)[] = [];
  /** Edits of the state waiting for the next batch (partitions gained or lost by a scaled-out copy). */
  private readonly pendingEdits: { drop: (key: unknown) => boolean; puts: ReadonlyArray<readonly [unknown, unknown]> }[] = [];
  /** The next checkpoint must be a full copy (an edit changed the state outside a batch). */
  private fullCheckpointOwed = false;
  /** Scale-out: a small value written with each checkpoint of this stream (its changelog positions). */
  checkpointExtra: (() => unknown) | undefined;
  /** Scale-out: that value as the restored checkpoint held it. */
  restoredExtra: unknown;

  /**
   * `ephemeral`: the state lives only in memory and is never checkpointed, so no checkpoint
   * directory is required (Structured Streaming's queries without a checkpointLocation).
   */
  constructor(
    protected readonly parent: DStream<unknown>,
    operation: string,
    options: { ephemeral?: boolean } = {},
  ) {
    super(parent.graph);
    this.mustCheckpoint = true;
    if (!options.ephemeral) this.graph.requireCheckpoint(operation);
    this.graph.materializeEachBatch(this as DStream<unknown>);
  }

  abstract readonly numPartitions: number;

  /** Build and return version `time` from the latest one (at `time` − slide, or none before the first batch). */
  protected abstract advance(time: number): P;

  /** The partitions of the RDD of a version. */
  protected abstract partitionsOf(version: P): T[][];

  abstract checkpointDelta(time: number, full: boolean): StreamCheckpoint | undefined;
  abstract restoreCheckpoint(saved: SavedStreamCheckpoint): void;

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
    return this.latestTime === undefined || time > this.latestTime || this.versions.has(time);
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
    for (let t = (this.latestTime ?? this.zeroTime!) + slide; t < time; t += slide) this.versionAt(t);
    if (this.pendingEdits.length > 0) this.applyEdits();
    const version = this.advance(time);
    this.versions.set(time, version);
    this.latestTime = time;
    return version;
  }

  /**
   * Scale-out: `listener(time, changes)` after each batch's version is committed, with every key
   * the batch put or removed and its value as the checkpoint stores it (undefined: removed).
   */
  onChangedKeys(listener: (time: number, changes: ReadonlyArray<readonly [unknown, unknown]>) => void): void {
    this.changeListeners.push(listener);
  }

  /** Subclasses: report batch `time`'s changes (`entries[i]` undefined: `keys[i]` removed). */
  protected changed<K, E>(time: number, keys: readonly K[], entries: readonly (E | undefined)[], stored: (entry: E) => unknown): void {
    if (this.changeListeners.length === 0) return;
    const changes = keys.map((k, i) => [k, entries[i] === undefined ? undefined : stored(entries[i]!)] as const);
    for (const l of this.changeListeners) l(time, changes);
  }

  /**
   * Scale-out: before the next batch, drop the keys `drop` selects, then put `puts` (key, value
   * as the checkpoint stores it) — a partition lost, or gained with its restored state.
   */
  editState(drop: (key: unknown) => boolean, puts: ReadonlyArray<readonly [unknown, unknown]>): void {
    this.pendingEdits.push({ drop, puts });
  }

  /** Applies the pending edits through the checkpoint's own full copy and restore (O(state), once per rebalance). */
  private applyEdits(): void {
    const time = this.latestTime ?? this.zeroTime!;
    const entries = new Map<string, [unknown, unknown]>();
    const keyOf = (k: unknown): string => (typeof k === 'string' ? `s${k}` : `j${JSON.stringify(k)}`);
    if (this.latestTime !== undefined) {
      const full = this.checkpointDelta(this.latestTime, true);
      for (const [k, v] of (full?.state as { puts: [unknown, unknown][] } | undefined)?.puts ?? []) entries.set(keyOf(k), [k, v]);
    }
    for (const { drop, puts } of this.pendingEdits.splice(0)) {
      for (const [id, [k]] of entries) if (drop(k)) entries.delete(id);
      for (const [k, v] of puts) entries.set(keyOf(k), [k, v]);
    }
    void this.restoreCheckpoint({ time, state: [...entries.values()], slices: [], meta: undefined });
    this.fullCheckpointOwed = true;
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
    stored: (entry: E) => unknown,
  ): StreamCheckpoint | undefined {
    const version = this.versionForCheckpoint(time);
    if (version === undefined) return undefined;
    const changes = log.take(time);
    const puts: [unknown, unknown][] = [];
    if (this.fullCheckpointOwed) {
      full = true;
      this.fullCheckpointOwed = false;
    }
    const extra = this.checkpointExtra ? { meta: this.checkpointExtra() } : {};
    if (full || changes === 'full') {
      eachEntry(version, (k, v) => void puts.push([k, v]));
      return { state: { replace: true, puts, deletes: [] }, ...extra };
    }
    const deletes: unknown[] = [];
    for (const e of changes.entries()) {
      if (e.value === undefined) deletes.push(e.key);
      else puts.push([e.key, stored(e.value)]);
    }
    return { state: { replace: false, puts, deletes }, ...extra };
  }

  /** Start over from a restored version (`extra`: the checkpoint's restoredExtra). */
  protected restoredAt(time: number, version: P, extra?: unknown): void {
    this.restoredExtra = extra;
    this.versions.clear();
    this.versions.set(time, version);
    this.latestTime = time;
  }

  override clearMetadata(time: number): void {
    super.clearMetadata(time);
    const horizon = time - (this.rememberDuration ?? this.slideDuration);
    for (const t of this.versions.keys()) if (t <= horizon && t !== this.latestTime) this.versions.delete(t);
  }
}
