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
    const version = this.advance(time);
    this.versions.set(time, version);
    this.latestTime = time;
    return version;
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
    if (full || changes === 'full') {
      eachEntry(version, (k, v) => void puts.push([k, v]));
      return { state: { replace: true, puts, deletes: [] } };
    }
    const deletes: unknown[] = [];
    for (const e of changes.entries()) {
      if (e.value === undefined) deletes.push(e.key);
      else puts.push([e.key, stored(e.value)]);
    }
    return { state: { replace: false, puts, deletes } };
  }

  /** Start over from a restored version. */
  protected restoredAt(time: number, version: P): void {
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
