import { DStream } from '../dstream/DStream.js';
import { UnaryDStream } from '../dstream/UnaryDStream.js';
import type { RDD } from '../rdd/RDD.js';
import type { Duration } from '../util/duration.js';
import { DiskMapWithStateDStream } from './DiskMapWithStateDStream.js';
import { InternalMapWithStateDStream, type MapWithStateRecord } from './InternalMapWithStateDStream.js';
import { forEachEntry } from './RestoredTable.js';
import type { StatefulDStream } from './StatefulDStream.js';
import type { StateSpec } from './StateSpec.js';
import { resolveStateStore } from '../dstream/stateStore.js';
import { SpillRDD } from '../rdd/SpillRDD.js';

/**
 * The stream mapWithState returns (Spark's MapWithStateDStream): each batch's mapped values —
 * one per record of the batch, plus one per key timing out — and, through `stateSnapshots()`,
 * the whole state after each batch.
 */
export class MapWithStateDStream<K, V, S, M> extends DStream<M> {
  /** The stream that holds the state (what checkpoints save and restore): in memory or on disk. */
  readonly internalStream: StatefulDStream<MapWithStateRecord<K, S, M>, unknown>;

  constructor(parent: DStream<[K, V]>, spec: StateSpec<K, V, S, M>) {
    const internal =
      resolveStateStore(spec.getStateStore()).type === 'disk'
        ? new DiskMapWithStateDStream(parent, spec)
        : new InternalMapWithStateDStream(parent, spec);
    super(parent.graph);
    this.internalStream = internal;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.internalStream];
  }

  get slideDuration(): Duration {
    return this.internalStream.slideDuration;
  }

  compute(time: number): RDD<M> | undefined {
    return this.internalStream.getOrCompute(time)?.flatMap((r) => r.mapped);
  }

  /** The state after each batch, as [key, state] pairs (read it as read-only). */
  stateSnapshots(): DStream<[K, S]> {
    if (this.internalStream instanceof DiskMapWithStateDStream) return new DiskStateSnapshotDStream(this.internalStream);
    return new StateSnapshotDStream(this.internalStream as InternalMapWithStateDStream<K, V, S, M>);
  }

  /** The checkpoint interval is the state's (Spark: set on the internal stream). */
  override checkpoint(interval: Duration): this {
    this.internalStream.checkpoint(interval);
    return this;
  }
}

/**
 * Each batch's whole state; reading it is O(state), making it is O(1) (a view of the version).
 * Its RDD may be read after the state moved on: the version is kept readable (keepReadable).
 */
export class StateSnapshotDStream<K, V, S, M> extends UnaryDStream<MapWithStateRecord<K, S, M>, [K, S]> {
  constructor(private readonly state: InternalMapWithStateDStream<K, V, S, M>) {
    super(state);
  }

  compute(time: number): RDD<[K, S]> | undefined {
    const records = this.parent.getOrCompute(time);
    if (records === undefined) return undefined;
    this.state.keepReadable(time);
    return records.flatMap((r) => {
      const pairs: [K, S][] = [];
      forEachEntry(r.state, r.table, (key, value) => void pairs.push([key, value]));
      return pairs;
    });
  }
}

/**
 * Each batch's whole state of a disk-backed mapWithState, read lazily from the spill files the
 * state stream writes once the batch advanced (O(state) disk writes per batch, bounded memory).
 */
export class DiskStateSnapshotDStream<K, V, S, M> extends UnaryDStream<MapWithStateRecord<K, S, M>, [K, S]> {
  constructor(private readonly state: DiskMapWithStateDStream<K, V, S, M>) {
    super(state);
    state.wantSnapshots();
  }

  compute(time: number): RDD<[K, S]> | undefined {
    if (this.parent.getOrCompute(time) === undefined) return undefined;
    return new SpillRDD<K, S>(this.state.numPartitions, 'stateSnapshots', () => this.state.snapshotSpill(time));
  }
}
