import type { SavedStreamCheckpoint, SnapshotChunk, StreamCheckpoint } from '../dstream/Checkpointable.js';
import type { DStream } from '../dstream/DStream.js';
import { hashKeySigned } from '../rdd/keys.js';
import { Appender } from './Appender.js';
import { initialPairsOf } from './args.js';
import { BatchChanges } from './BatchChanges.js';
import { ChangeLog } from './ChangeLog.js';
import { entryChunks, forEachEntry, type RestoredTable, type TableView } from './RestoredTable.js';
import { restoreMaps } from './restoreMaps.js';
import { State } from './State.js';
import { StatefulDStream } from './StatefulDStream.js';
import { StateMaps } from './StateMaps.js';
import { keyInfo, Leaf, type LeafMap, type LeafView, mix, stampOf, structuredCode, TOMBSTONE } from './stateMap.js';
import type { StateSpec } from './StateSpec.js';
import { notPairOf } from '../rdd/checks.js';

/** One partition of one batch: the state version after the batch and the batch's mapped values. */
export interface MapWithStateRecord<K, S, M> {
  readonly state: LeafView<K, S>;
  readonly mapped: readonly M[];
  /** The restored keys under the Maps, when a restore kept them as text (RestoredTable.ts). */
  readonly table?: TableView<S>;
}

type Version<K, S, M> = MapWithStateRecord<K, S, M>[];

/** Spark's default checkpoint interval of mapWithState: ten batches. */
const CHECKPOINT_MULTIPLIER = 10;

/**
 * Spark's InternalMapWithStateDStream: each batch's RDD has one record per partition holding
 * the state version after the batch (a view of the state's Maps, see stateMap.ts) and the mapped
 * values.
 *
 * Cost per batch: the batch's records, plus the keys timing out. Each key written in a batch is
 * also filed in that batch time's bucket; at batch t the buckets older than t − timeout are
 * visited once and dropped, and a key in them times out only if its last write is still that
 * bucket's time (a later write refiled it, a removal dropped it). Nothing scans the whole state:
 * a snapshot is a view of the version, read only when someone reads stateSnapshots' RDD.
 *
 * A batch writes its leaves into the latest Maps under its own edit number; the buckets, the
 * change log and the version are changed only once the whole batch succeeded, and a batch that
 * fails puts back what its keys held before it (StateMaps.rollback).
 */
export class InternalMapWithStateDStream<K, V, S, M> extends StatefulDStream<
  MapWithStateRecord<K, S, M>,
  Version<K, S, M>
> {
  readonly numPartitions: number;
  private maps: StateMaps<K, S>;
  private sizes: number[];
  /** The keys restored as text that no batch wrote since, under the Maps (until all are written). */
  private table: RestoredTable<S> | undefined;
  /** Leaves written at each batch time, oldest first (only with a timeout). */
  private buckets = new Map<number, Leaf<K, S>[]>();
  private editSeq = 0;
  /** Arrays of batches the log has taken, for the next batches' keys and values (ChangeLog's `spare`). */
  private readonly spare: unknown[][] = [];
  /** Each batch logs its keys' leaves and values, and marks the entries of earlier batches it superseded. */
  private readonly log = new ChangeLog<K, Leaf<K, S>>({ superseding: { stamped: () => this.stamps, spare: this.spare } });
  /**
   * The last batch that completed (its checkpoint taken: clearMetadata comes after it). A batch
   * computed before the one before it completed (an action in a transform runs at generation)
   * writes nothing in place: that batch's checkpoint may still read its version.
   */
  private completedThrough = -Infinity;
  /** The old fields of the leaves a batch writes in place (leaf, value, stamp, born, at; reused: rollback reads it). */
  private readonly undo: unknown[] = [];
  private readonly state = new State<S>();
  /** How many values each partition's last batch mapped and changes it logged (Appender). */
  private readonly mappedSizes: number[];
  private loggedSize = 0;
  /** The initial state loaded before the first batch, under that batch's edit (prepareInitialState). */
  private prepared: { edit: number; leaves: Leaf<K, S>[] } | undefined;
  /** Batches whose state is to be kept readable once made (keepReadable). */
  private readonly readLater = new Set<number>();

  constructor(
    parent: DStream<[K, V]>,
    private readonly spec: StateSpec<K, V, S, M>,
  ) {
    super(parent as DStream<unknown>, 'mapWithState', { name: spec.getName() });
    this.numPartitions = spec.getNumPartitions() ?? this.graph.defaultParallelism;
    this.maps = this.newMaps();
    this.sizes = new Array<number>(this.numPartitions).fill(0);
    this.mappedSizes = new Array<number>(this.numPartitions).fill(0);
  }

  /** Empty Maps whose tombstones stay while the restored table holds their keys. */
  private newMaps(): StateMaps<K, S> {
    return new StateMaps<K, S>(this.numPartitions, (leaf) => {
      const table = this.table;
      return table !== undefined && table.find(leaf.key, leaf.h, mix(leaf.h)) >= 0;
    });
  }

  override initialize(zeroTime: number): void {
    if (this.checkpointDuration === undefined) this.checkpointDuration = this.slideDuration * CHECKPOINT_MULTIPLIER;
    super.initialize(zeroTime);
  }

  /** Keys in the latest state. */
  override get size(): number {
    let n = 0;
    for (const s of this.sizes) n += s;
    return n;
  }

  protected partitionsOf(version: Version<K, S, M>): MapWithStateRecord<K, S, M>[][] {
    return version.map((r) => [r]);
  }

  /**
   * Batch `time`'s state may be read later, by whoever holds its RDD (stateSnapshots): keep it
   * readable. The RDDs of a batch's outputs are made before its state advances: then it is kept
   * readable when made.
   */
  keepReadable(time: number): void {
    const v = this.versions.get(time);
    if (v === undefined) this.readLater.add(time);
    else if (v.length > 0) this.maps.escape(v[0]!.state.version);
  }

  override clearMetadata(time: number): void {
    super.clearMetadata(time);
    if (time > this.completedThrough) this.completedThrough = time;
  }

  protected override forgetVersion(version: Version<K, S, M>): void {
    if (version.length > 0) this.maps.release(version[0]!.state.version);
  }

  protected advance(time: number): Version<K, S, M> {
    const n = this.numPartitions;
    // The initial state loaded before the start is this first batch's: made under its edit.
    const prepared = this.latestTime === undefined ? this.prepared : undefined;
    this.prepared = undefined;
    const edit = prepared?.edit ?? ++this.editSeq;
    const fn = this.spec.getFunction();
    const keepUndefined = this.spec.outputsUndefined();
    const timeout = this.spec.getTimeout();
    const stamp = stampOf(time, timeout);
    const state = this.state;
    const maps = this.maps.maps;
    const sizes = this.sizes.slice();
    // Each sized as in the last batch (Appender).
    const mapped = this.mappedSizes.map((size) => new Appender<M>(size));
    // What the batch logs, and the entries of batches still in the log that it supersedes.
    const changes = new BatchChanges<K, S>(this.log, edit, this.loggedSize, () => this.spare.pop());
    /** Tombstones and initial leaves this batch made (its other leaves are in `changes`). */
    const madeToo: Leaf<K, S>[] = [];
    const written: Leaf<K, S>[] = [];
    const timedOutBuckets: number[] = [];
    /** Whether the function removed a key: then a key may be logged twice in this batch. */
    let removedSome = false;
    // Keys of the restored table this batch wrote or removed: hidden from this version on at commit.
    const table = this.table;
    const hidden: number[] = [];

    const place = (p: number, leaf: Leaf<K, S>): void => maps[p]!.set(leaf);
    /** What versions before this batch see of a key whose latest leaf is `current` (a leaf written in place: itself, as it was). */
    const before = (current: Leaf<K, S> | undefined): Leaf<K, S> | undefined =>
      current !== undefined && current.born === edit && current.mark !== -edit ? current.prev : current;
    // A key's first write changes its latest leaf in place, not a new leaf (and a second hash
    // probe), when nothing may read that leaf once the batch committed: no escaped or held
    // version sees it (born after readerEdit), and the stream remembers no version but the latest
    // (a window over stateSnapshots reads older ones), and the batch before completed (its
    // checkpoint may read its version). bench/latency.ts: ~15-25 % of the CPU.
    const inPlace =
      (this.rememberDuration ?? this.slideDuration) <= this.slideDuration &&
      (this.latestTime === undefined || this.completedThrough >= this.latestTime);
    const readerEdit = inPlace ? this.maps.readerEdit() : Infinity;
    const undo = this.undo;
    let undone = 0;

    let initialLoaded = false;
    /** The initial state's leaves (madeToo[0, initialTo)): published first (onStateChanges). */
    let initialTo = 0;
    try {
      if (this.latestTime === undefined && this.loadsInitialState) {
        // The state is empty (nothing restored or edited: either sets latestTime), or holds only
        // the initial state loaded before the start, under this edit (prepareInitialState).
        const leaves = prepared !== undefined ? prepared.leaves : this.loadInitial(edit, stamp);
        for (const leaf of leaves) {
          madeToo.push(leaf);
          if (timeout !== undefined) {
            leaf.stamp = stamp;
            written.push(leaf);
          }
        }
        initialLoaded = leaves.length > 0;
        if (initialLoaded) for (let p = 0; p < n; p++) sizes[p] = maps[p]!.size;
      }
      initialTo = madeToo.length;

      // One pass over the batch's records in arrival order, each applied to its key's partition
      // (Spark's partitionBy keeps arrival order within a partition; partitions are independent).
      const applyKV = (k: K, v: V): void => {
        const code = structuredCode(k);
        // The hash as a signed 32-bit integer (the same bits): a small integer in the leaf.
        const h = hashKeySigned(code ?? k);
        const p = n === 1 ? 0 : (h >>> 0) % n;
        const current = code === undefined ? maps[p]!.prim.get(k) : maps[p]!.get(k, code);
        // Not in the Map: maybe in the table; a tombstone: removed.
        const entry = current === undefined && table !== undefined ? table.find(k, h, mix(h)) : -1;
        const leaf = current !== undefined && (current.value as unknown) !== TOMBSTONE ? current : undefined;
        // A value this batch wrote is the batch's own; an initial state's (born now, never logged) is the user's.
        if (leaf !== undefined) state.wrap(true, leaf.value, leaf.born === edit && leaf.at >= 0);
        else if (entry >= 0) state.wrap(true, table!.valueAt(entry), false);
        else state.wrap(false, undefined);
        const had = leaf !== undefined || entry >= 0;
        const result = fn(time, k, v, state);
        if (state.isRemoved()) {
          if (had) {
            removedSome = true;
            if (leaf !== undefined) changes.supersede(leaf);
            // A tombstone: versions before this batch still find the key through it.
            const gone = new Leaf(h, leaf !== undefined ? leaf.key : k, code, TOMBSTONE as unknown as S, stamp, edit, before(current));
            place(p, gone);
            madeToo.push(gone);
            if (entry >= 0) hidden.push(entry);
            sizes[p]!--;
            changes.removed(leaf !== undefined ? leaf.key : k);
          }
        } else if (state.isUpdated() || (had && timeout !== undefined)) {
          // Spark: with a timeout, a key that received data counts as active even if not updated.
          const value = state.ownedCurrent() as S;
          if (leaf !== undefined && leaf.born === edit) {
            leaf.value = value;
            leaf.stamp = stamp;
            // Logged at its first write of the batch (an initial state's leaf is not: a full copy follows).
            if (leaf.at >= 0) changes.rewrite(leaf.at, value);
          } else if (leaf !== undefined && leaf.born > readerEdit) {
            changes.supersede(leaf);
            undo[undone++] = leaf;
            undo[undone++] = leaf.value;
            undo[undone++] = leaf.stamp;
            undo[undone++] = leaf.born;
            undo[undone++] = leaf.at;
            leaf.value = value;
            leaf.stamp = stamp;
            leaf.born = edit;
            leaf.mark = -edit;
            leaf.at = changes.put(k, leaf, value);
            if (timeout !== undefined) written.push(leaf);
          } else {
            // A key already in the state keeps its leaf's key object: this record's copy of it (a
            // string just read, say) does not live on in the state. The change log takes the
            // record's copy: the commit's encoding then reads keys lying together with the batch's
            // other young objects, not scattered over the state's heap (1 M keys: 1.3-1.6 -> 0.5-0.6
            // ms a 10 k-key commit, bench/checkpoint.ts), at the price of keeping them until the write.
            const fresh = new Leaf(h, leaf !== undefined ? leaf.key : k, code, value, stamp, edit, before(current));
            if (leaf !== undefined) changes.supersede(leaf);
            place(p, fresh);
            if (!had) sizes[p]!++;
            if (entry >= 0) hidden.push(entry);
            fresh.at = changes.put(k, fresh, value);
            if (timeout !== undefined) written.push(fresh);
          }
        }
        if (result !== undefined || keepUndefined) mapped[p]!.add(result as M);
      };
      // Small enough for V8 to inline into a fused stage's loop, so a pair made just before (a
      // map to [k, v]) is read where it is made and never allocated; so its check passes no
      // reference to the element on (notPairOf): the element would escape.
      const apply = (kv: [K, V]): void => {
        if (!Array.isArray(kv) || kv.length !== 2) notPairOf('mapWithState', typeof kv, Array.isArray(kv) ? (kv as unknown[]).length : -1);
        applyKV(kv[0], kv[1]);
      };
      const data = this.input<K, V>(time);
      if (data) for (let i = 0; i < data.numPartitions; i++) data.iteratePartition(i, apply);

      if (timeout !== undefined) {
        // Keys whose last write is older than the threshold time out (Spark: updateTime < batchTime - timeout).
        const threshold = time - timeout;
        for (const [bucketTime, leaves] of this.buckets) {
          if (bucketTime >= threshold) break;
          timedOutBuckets.push(bucketTime);
          for (const filed of leaves) {
            const p = n === 1 ? 0 : (filed.h >>> 0) % n;
            const leaf = maps[p]!.get(filed.key, filed.code);
            // Written since, or removed.
            if (leaf === undefined || (leaf.value as unknown) === TOMBSTONE || leaf.stamp !== bucketTime) continue;
            state.wrapTimingOut(leaf.value);
            const result = fn(time, leaf.key, undefined, state);
            const gone = new Leaf(leaf.h, leaf.key, leaf.code, TOMBSTONE as unknown as S, stamp, edit, before(leaf));
            place(p, gone);
            madeToo.push(gone);
            changes.supersede(leaf);
            sizes[p]!--;
            changes.removed(leaf.key);
            if (result !== undefined || keepUndefined) mapped[p]!.add(result as M);
          }
        }
      }
    } catch (e) {
      this.maps.rollback(edit, [changes.done().entries, madeToo], undo, undone);
      changes.fail();
      throw e;
    }

    const mappedOut = mapped.map((m) => m.done());
    for (let p = 0; p < n; p++) this.mappedSizes[p] = mappedOut[p]!.length;
    const { keys: keysOut, entries: entriesOut } = changes.done();
    this.loggedSize = keysOut.length;

    // Commit. The undo list lets go of the old values (with object states, a batch's worth).
    if (undone > 0) undo.fill(undefined, 0, undone);
    const views = this.maps.commit(edit, time, [entriesOut, madeToo], inPlace);
    if (this.readLater.size > 0) {
      if (this.readLater.has(time)) this.maps.escape(views[0]!.version);
      for (const t of this.readLater) if (t <= time) this.readLater.delete(t);
    }
    this.sizes = sizes;
    if (table !== undefined && hidden.length > 0) {
      table.hide(hidden, edit);
      if (table.allHidden) this.table = undefined;
    }
    for (const t of timedOutBuckets) this.buckets.delete(t);
    if (written.length > 0) this.buckets.set(time, written);
    if (initialLoaded) this.log.requireFull(time);
    // A key is logged once per batch unless the function removed it after writing it, or wrote it
    // again after removing it (keys timing out were not written by this batch): without a
    // removal by the function, each key is logged once.
    changes.record(time, this.size, !removedSome);
    if (initialTo > 0 && this.publishesChanges) {
      // The keys the batch put include the initial state's, which it loaded (unchanged ones too, never logged: a full copy follows).
      const { keys, entries } = withInitial(madeToo, initialTo, maps, keysOut, entriesOut);
      this.publishChanges(time, keys, entries, (leaf) => leaf.value);
    } else {
      this.publishChanges(time, keysOut, entriesOut, (leaf) => leaf.value);
    }
    return views.map((view, p) => ({ state: view, mapped: mappedOut[p]!, table: table && { table, part: p, edit } }));
  }

  /**
   * A fresh start, before the inputs start (DStreamGraph.prepareInitialStates): the initial state
   * goes into the Maps now, under the edit the first batch will use, and that batch takes its
   * leaves as its own (stamped with its time) as if it had loaded them. Should the first batch
   * fail, its rollback removes them and the next batch loads the initial state again.
   */
  prepareInitialState(): void {
    if (this.latestTime !== undefined || !this.loadsInitialState || this.prepared !== undefined) return;
    const edit = ++this.editSeq;
    try {
      this.prepared = { edit, leaves: this.loadInitial(edit, 0) };
    } catch {
      // An initial state that cannot be read fails the first batch, as in Spark, which reads it
      // again there and throws: nothing of it is kept.
      this.maps = this.newMaps();
    }
  }

  /** The initial state's pairs as leaves placed in the Maps under `edit` (of a key given twice, the later wins). */
  private loadInitial(edit: number, stamp: number): Leaf<K, S>[] {
    const n = this.numPartitions;
    const maps = this.maps.maps;
    const leaves: Leaf<K, S>[] = [];
    for (const [k, s] of this.initialPairs()) {
      const { h, code } = keyInfo(k);
      const leaf = new Leaf(h, k, code, s, stamp, edit, undefined);
      maps[n === 1 ? 0 : (h >>> 0) % n]!.set(leaf);
      leaves.push(leaf);
    }
    return leaves;
  }

  protected override initialPairs(): ReadonlyArray<readonly [K, S]> {
    const initial = this.spec.getInitialState();
    return initial === undefined ? [] : initialPairsOf(initial, 'mapWithState');
  }

  // ---- checkpoints ---------------------------------------------------------------------------
  // A key's checkpointed value is its state; with a timeout, [state, time of its last write] (the
  // time drives timeouts; without one it is never read, and leaving it out halves what a restore
  // decodes). The stream's meta says which: { stamps }. A checkpoint without it (format 1) is stamped.

  private get stamps(): boolean {
    return this.spec.getTimeout() !== undefined;
  }

  checkpointDelta(time: number, full: boolean): StreamCheckpoint | undefined {
    const delta = this.stamps
      ? this.stateCheckpoint(
          time,
          full,
          this.log,
          (version, put) => {
            for (const r of version) forEachEntry(r.state, r.table, (k, v, stamp) => put(k, [v, stamp]));
          },
        )
      : this.stateCheckpoint(
          time,
          full,
          this.log,
          (version, put) => {
            for (const r of version) forEachEntry(r.state, r.table, put);
          },
        );
    return delta === undefined ? undefined : { ...delta, ...this.checkpointMeta({ stamps: this.stamps }) };
  }

  /** Group commit: the batch's changes go with a later batch's delta (Checkpointable.deferDelta). */
  deferDelta(time: number, check: (key: unknown, value: unknown) => boolean): number | undefined {
    if (!this.mayDefer(time)) return undefined;
    // With a timeout a key's stored value is [state, time of its last write]: the time is a number.
    return this.log.hold(time, (k, _leaf, value) => check(k, value));
  }

  protected override heldTime(): number | undefined {
    return this.log.heldTime;
  }

  protected override storedForm(): Record<string, unknown> {
    return { stamps: this.stamps };
  }

  /** A key batch `time` wrote has its last write at `time`: with a timeout, that is stored beside the state. */
  override storedChange(time: number, value: unknown): unknown {
    return this.stamps ? [value, time] : value;
  }

  stateSnapshot(time: number, size: number): Iterable<SnapshotChunk> | undefined {
    const stamps = this.stamps;
    return this.snapshotOf(time, (version) => {
      // Read lazily, while later batches run: the version stays readable until the last chunk.
      const end = version.length > 0 ? this.maps.hold(version[0]!.state.version) : () => {};
      return (function* () {
        try {
          for (const r of version) yield* entryChunks(r.state, r.table, size, stamps);
        } finally {
          end();
        }
      })();
    });
  }

  override stateShape(): string {
    return 'mapWithState';
  }

  restoreCheckpoint(saved: SavedStreamCheckpoint): void {
    const edit = ++this.editSeq;
    // New Maps: the versions before the restore keep theirs, which nothing changes any more.
    const stateMaps = this.newMaps();
    const { sizes, table, buckets, stamped } = restoreMaps(saved, stateMaps, this.spec.getTimeout(), edit);
    this.maps = stateMaps;
    this.sizes = sizes;
    this.table = table !== undefined && !table.allHidden ? table : undefined;
    this.buckets = buckets;
    this.log.reset();
    // Written the other way (a timeout added or removed since): rewrite it all the current way.
    if (stamped !== this.stamps) this.log.requireFull(saved.time);
    this.restoredAt(
      saved.time,
      stateMaps.restored(edit, saved.time).map((view, p) => ({ state: view, mapped: [], table: this.table && { table: this.table, part: p, edit } })),
      saved.meta,
    );
    // Nothing is left to checkpoint of a restarted version; an edit's batch may still await its checkpoint.
    if (!this.editing && saved.time > this.completedThrough) this.completedThrough = saved.time;
  }
}

/**
 * A first batch's changes as published (onStateChanges): the initial state's keys first (the
 * leaves `initial[0, to)`, in the order given; a key given twice at its first place), as the batch
 * left them (their latest leaf, or undefined when removed), then the batch's other changes — as
 * the disk store lists them.
 */
function withInitial<K, S>(
  initial: readonly Leaf<K, S>[],
  to: number,
  maps: readonly LeafMap<K, S>[],
  keys: readonly K[],
  entries: readonly (Leaf<K, S> | undefined)[],
): { keys: K[]; entries: (Leaf<K, S> | undefined)[] } {
  const n = maps.length;
  const prim = new Set<unknown>();
  const structured = new Set<string>();
  const outKeys: K[] = [];
  const outEntries: (Leaf<K, S> | undefined)[] = [];
  for (let i = 0; i < to; i++) {
    const leaf = initial[i]!;
    if (leaf.code === undefined ? prim.has(leaf.key) : structured.has(leaf.code)) continue;
    if (leaf.code === undefined) prim.add(leaf.key);
    else structured.add(leaf.code);
    const latest = maps[n === 1 ? 0 : (leaf.h >>> 0) % n]!.get(leaf.key, leaf.code);
    outKeys.push(leaf.key);
    outEntries.push(latest === undefined || (latest.value as unknown) === TOMBSTONE ? undefined : latest);
  }
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const code = structuredCode(k);
    if (code === undefined ? prim.has(k) : structured.has(code)) continue;
    outKeys.push(k);
    outEntries.push(entries[i]);
  }
  return { keys: outKeys, entries: outEntries };
}
