import type { SavedStreamCheckpoint, StateKeyCounts, StateReader, StreamCheckpoint } from '../dstream/Checkpointable.js';
import type { DStream } from '../dstream/DStream.js';
import type { AsyncState } from '../dstream/DStreamGraph.js';
import { RDD } from '../rdd/RDD.js';
import { cloneState, deepEqual } from './clone.js';
import { DiskChanges, type Change } from '../dstream/DiskChanges.js';
import { codeOf } from '../rdd/keyCode.js';
import { SpillRDD, SpillWriter, type Spill } from '../rdd/SpillRDD.js';
import { StatefulDStream } from './StatefulDStream.js';
import type { UpdateFunction } from './updateFunction.js';
import { checkNumPartitions, initialPairsOf } from './args.js';
import { isPair, refuseNonPair } from '../rdd/checks.js';

type Known<K, S> = Change<K, S>;

/** A batch's state: its spill files (undefined when no stream reads the state's RDD). */
interface Version {
  spill: Spill | undefined;
}

/** Entries per LevelDB read of the visit. */
const SCAN_CHUNK = 2000;

/**
 * updateStateByKey with its state on disk (`{ stateStore: 'disk' }`): one LevelDB entry per key
 * in the checkpoint's own store (`state/<stream>/<key>`), the batch's changed keys written in its
 * atomic commit, nothing loaded at restart.
 *
 * When things happen: as in memory (Spark), every batch offers every key to `update` — here by
 * reading the store asynchronously in chunks of SCAN_CHUNK entries before the batch's outputs run
 * (`prepareState`, awaited by DStreamGraph.materializeState), the batch's values grouped by key
 * in memory. The values of batches whose commit may not be durable yet (`unsettled`) overlay
 * what the scan reads. The new state of every key goes, as it is computed, to spill files that
 * the batch's RDD reads lazily (SpillRDD) — only when some stream reads this one. When every
 * `update` call succeeded, `advance` commits: the changes enter `unsettled` and the batch's
 * checkpoint; they leave `unsettled` once the commit holding them is written (checkpointWritten,
 * possibly a few batches later: group commit). Memory: the batch's values, the changes of the
 * last batches, a chunk.
 *
 * A batch whose RDD is read when it is generated (an action in a `transform`, before the batch
 * runs) is visited then, synchronously, from the previous batch's spill files instead of the
 * store: the spill holds the whole state after that batch (a restore spills the restored state
 * when a stream reads this one, for the first batch).
 */
export class DiskStateDStream<K, V, S> extends StatefulDStream<[K, S], Version> implements AsyncState {
  readonly numPartitions: number;
  readonly stateOnDisk = true;
  private reader: StateReader | undefined;
  /** Changes of batches whose commit may not be durable yet (`unsettled`), and those a checkpoint has yet to take. */
  private readonly changes = new DiskChanges<K, S>();
  private keysOnDisk = 0;
  /** The visit of the batch being prepared: its changes, key count change and spill. */
  private prepared: Visit<K, S> | undefined;
  private read: boolean | undefined;
  /** The key count after each batch not yet checkpointed (a batch may advance ahead of the checkpoints). */
  private readonly keysAfter = new Map<number, number>();

  constructor(
    parent: DStream<[K, V]>,
    private readonly updateFunc: UpdateFunction<V, S>,
    numPartitions: number,
    private initial: RDD<[K, S]> | ReadonlyArray<readonly [K, S]> | undefined,
    name?: string,
  ) {
    super(parent as DStream<unknown>, 'updateStateByKey', { name });
    this.numPartitions = checkNumPartitions(numPartitions);
  }

  override get size(): number {
    return this.keysOnDisk;
  }

  override stateKeys(): StateKeyCounts {
    return { inMemory: this.changes.unsettled.size, onDisk: this.keysOnDisk };
  }

  override stateShape(): string {
    return 'updateStateByKey store=disk';
  }

  attachStateReader(reader: StateReader, restoredKeys: number): void {
    this.reader = reader;
    this.keysOnDisk = restoredKeys;
  }

  /** Whether a stream of the graph reads this one's RDD (else no spill is written). */
  private get isRead(): boolean {
    return (this.read ??= this.graph.streams.some((s) => s !== this && s.dependencies.includes(this)));
  }

  prepareState(time: number): Promise<void> | undefined {
    return this.isTimeValid(time) ? this.prepareUpTo(time) : undefined;
  }

  private async prepareUpTo(time: number): Promise<void> {
    const slide = this.slideDuration;
    // Batches run in time order, so this loop normally visits `time` alone. A batch computed at its
    // generation meanwhile (an action in a transform read it) is skipped.
    for (let t = this.advancedThrough + slide; t <= time; t += slide) {
      if (this.latestTime !== undefined && t <= this.latestTime) continue;
      const visit = await this.visit(t);
      if (this.latestTime !== undefined && t <= this.latestTime) {
        visit.spill?.remove();
        continue;
      }
      this.prepared?.spill?.remove();
      this.prepared = visit;
      this.versionAt(t);
    }
  }

  /** Offers every key of the store to `update` for batch `time` (nothing is committed: see advance). */
  private async visit(time: number): Promise<Visit<K, S>> {
    if (this.reader === undefined) throw new Error('updateStateByKey: the disk state store is not open (the context has no checkpoint store)');
    const visitor = this.visitor(time, true);
    try {
      for await (const flat of this.reader.scan(SCAN_CHUNK)) {
        for (let i = 0; i < flat.length; i += 2) visitor.stored(flat[i] as K, flat[i + 1] as S);
      }
      return visitor.finish();
    } catch (err) {
      visitor.abandon();
      throw err;
    }
  }

  /**
   * The visit of batch `time` when its RDD is read before it was prepared (an action in a
   * transform, at its generation): synchronously, from the previous batch's spill files — the
   * whole state after it — instead of the store.
   */
  private visitNow(time: number): Visit<K, S> {
    const latest = this.latestTime;
    if (!this.isRead) {
      throw new Error(`updateStateByKey: the disk-backed state of batch ${time} was not prepared (DStreamGraph.materializeState runs it)`);
    }
    const before = latest === undefined ? undefined : this.versions.get(latest)?.spill;
    if (latest !== undefined && before === undefined) throw new Error(`updateStateByKey: the disk-backed state of batch ${latest} is not kept on disk`);
    const visitor = this.visitor(time, false);
    try {
      if (before !== undefined) {
        const rdd = new SpillRDD<K, S>(this.numPartitions, 'updateStateByKey', () => before);
        for (let i = 0; i < this.numPartitions; i++) rdd.iteratePartition(i, (kv) => visitor.stored(kv[0], kv[1]));
      }
      return visitor.finish();
    } catch (err) {
      visitor.abandon();
      throw err;
    }
  }

  /**
   * A visit of batch `time`: `stored` offers each key of the state before the batch, `finish` the
   * keys it did not hold (initial state, new keys). `fromStore`: the state is read from the store,
   * so the changes of commits in flight are laid over it (a spill already holds them).
   */
  private visitor(time: number, fromStore: boolean): { stored(key: K, value: S): void; finish(): Visit<K, S>; abandon(): void } {
    const update = this.updateFunc;
    const groups = new Map<unknown, { key: K; values: V[] }>();
    const data = (this.parent as DStream<[K, V]>).getOrCompute(time);
    if (data) {
      for (let i = 0; i < data.numPartitions; i++) {
        data.iteratePartition(i, (kv) => {
          if (!isPair(kv)) refuseNonPair('updateStateByKey', kv);
          const code = codeOf(kv[0]);
          const g = groups.get(code);
          if (g === undefined) groups.set(code, { key: kv[0], values: [kv[1]] });
          else g.values.push(kv[1]);
        });
      }
    }
    // What overlays the store: the changes in flight, and before the first batch the initial state.
    const overlay = new Map<unknown, Known<K, S>>(fromStore ? this.changes.unsettled : undefined);
    if (this.latestTime === undefined && this.initial !== undefined) {
      const pairs = initialPairsOf(this.initial, 'updateStateByKey');
      for (const [k, s] of pairs) overlay.set(codeOf(k), { key: k, value: s, time }); // a repeated key: the last pair wins
    }
    const mine = new Map<unknown, Known<K, S>>();
    const spill = this.isRead ? new SpillWriter(this.numPartitions) : undefined;
    let added = 0;
    // `counted`: the key's state is in keysOnDisk already (in the store, or put by a commit in
    // flight); `initial`: its state comes from the initial state, so it is written whatever update returns.
    const offer = (code: unknown, key: K, old: S | undefined, counted: boolean, initial = false): void => {
      const g = groups.get(code);
      if (g !== undefined) groups.delete(code);
      const s = update(g === undefined ? [] : g.values, cloneState(old));
      if (s === undefined) {
        if (counted) added--;
        // An initial key removed at once is listed too (onStateChanges: the batch loaded it), as in memory.
        if (counted || initial) mine.set(code, { key, value: undefined, time });
        return;
      }
      if (!counted) added++;
      if (!counted || initial || !(Object.is(s, old) || (typeof s === 'object' && deepEqual(s, old)))) mine.set(code, { key, value: s, time });
      spill?.put(key, s);
    };
    return {
      stored: (key, value) => {
        const code = codeOf(key);
        const over = overlay.get(code);
        if (over === undefined) {
          offer(code, key, value, true);
          return;
        }
        overlay.delete(code);
        // Removed by a commit in flight: a new key if the batch has values for it (offered below).
        if (over.value !== undefined) offer(code, key, over.value, true, over.time === time);
      },
      finish: () => {
        // Keys the state does not hold yet: put by a commit in flight, or in the initial state.
        for (const [code, over] of overlay) {
          if (over.value !== undefined) offer(code, over.key, over.value, over.time !== time, over.time === time);
        }
        for (const [code, g] of groups) offer(code, g.key, undefined, false);
        return { time, mine, added, spill: spill?.finish() };
      },
      abandon: () => spill?.abandon(),
    };
  }

  protected advance(time: number): Version {
    let prepared = this.prepared;
    this.prepared = undefined;
    if (prepared !== undefined && prepared.time !== time) {
      prepared.spill?.remove();
      prepared = undefined;
    }
    // Not prepared: read before the batch ran (at its generation).
    prepared ??= this.visitNow(time);
    this.initial = undefined; // in the store from now on: not kept in memory
    const keys: K[] = [];
    const values: (Known<K, S> | undefined)[] = [];
    for (const known of prepared.mine.values()) {
      keys.push(known.key);
      values.push(known.value === undefined ? undefined : known);
    }
    this.changes.record(time, prepared.mine);
    this.keysOnDisk += prepared.added;
    this.keysAfter.set(time, this.keysOnDisk);
    this.publishChanges(time, keys, values, (k) => k.value);
    return { spill: prepared.spill };
  }

  protected partitionsOf(): [K, S][][] {
    throw new Error('updateStateByKey: a disk-backed state is read through its spill files');
  }

  /** Batch `time`'s state, read from its spill files once the batch advanced the state (lazily). */
  override compute(time: number): RDD<[K, S]> {
    return new SpillRDD<K, S>(this.numPartitions, 'updateStateByKey', () => {
      const { spill } = this.versionAt(time);
      if (spill === undefined) {
        throw new Error(`updateStateByKey: the disk-backed state of batch ${time} was not kept (read by no stream)`);
      }
      return spill;
    });
  }

  override clearMetadata(time: number): void {
    const before = [...this.versions];
    super.clearMetadata(time);
    for (const [t, v] of before) if (!this.versions.has(t)) v.spill?.remove();
  }

  /** The changes of the batches up to `time` not yet taken (the store is the state: `full` adds nothing). */
  checkpointDelta(time: number, _full: boolean): StreamCheckpoint | undefined {
    if (this.latestTime === undefined || time > this.latestTime) return undefined;
    const puts: Array<[unknown, unknown]> = [];
    const deletes: unknown[] = [];
    for (const known of this.changes.take(time)) {
      if (known.value === undefined) deletes.push(known.key);
      else puts.push([known.key, known.value]);
    }
    let keysNow = this.keysOnDisk;
    for (const [t, n] of this.keysAfter) {
      if (t > time) break;
      keysNow = n;
      this.keysAfter.delete(t);
    }
    return { state: { replace: false, puts, deletes }, ...this.checkpointMeta({ keys: keysNow }) };
  }

  /** The commit holding the changes of the batches up to `time` is written: the store's reads return them. */
  checkpointWritten(time: number): void {
    this.changes.settle(time);
  }

  /** Nothing is loaded; when a stream reads this one, the restored state is spilled (a batch generated at once can advance from it). */
  async restoreCheckpoint(saved: SavedStreamCheckpoint): Promise<void> {
    this.changes.reset();
    this.prepared?.spill?.remove();
    this.prepared = undefined;
    this.keysAfter.clear();
    for (const v of this.versions.values()) v.spill?.remove();
    let spill: Spill | undefined;
    if (this.isRead) {
      if (this.reader === undefined) throw new Error('updateStateByKey: the disk state store is not open (the context has no checkpoint store)');
      spill = await this.changes.spill(this.reader, this.numPartitions, (value) => value);
    }
    this.restoredAt(saved.time, { spill }, saved.meta);
  }
}

/** A visit of one batch: its changes, key count change and spill (see DiskStateDStream.visitor). */
interface Visit<K, S> {
  time: number;
  mine: Map<unknown, Known<K, S>>;
  added: number;
  spill: Spill | undefined;
}
