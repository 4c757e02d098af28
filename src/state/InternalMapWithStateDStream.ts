import type { KeyTextChunk, SavedStreamCheckpoint, SnapshotChunk, StreamCheckpoint } from '../dstream/Checkpointable.js';
import type { DStream } from '../dstream/DStream.js';
import { hashKeySigned } from '../rdd/keys.js';
import { RDD } from '../rdd/RDD.js';
import { Appender } from './Appender.js';
import { ChangeLog } from './ChangeLog.js';
import { emptyRoot, forEachLeaf, keyInfo, Leaf, lookup, lookupPath, mix, Path, putAlong, remove, replacedIn, stampOf, structuredCode, type Root } from './hamt.js';
import { buildRoot } from './hamtBuild.js';
import { entryChunks, forEachEntry, RestoredTable, TOMBSTONE, type TableView } from './RestoredTable.js';
import { State } from './State.js';
import { StatefulDStream } from './StatefulDStream.js';
import type { StateSpec } from './StateSpec.js';

/** One partition of one batch: the state version after the batch and the batch's mapped values. */
export interface MapWithStateRecord<K, S, M> {
  readonly root: Root<K, S>;
  readonly mapped: readonly M[];
  /** The restored keys under the trie, when a restore kept them as text (RestoredTable.ts). */
  readonly table?: TableView<S>;
}

type Version<K, S, M> = MapWithStateRecord<K, S, M>[];

/** A restored key's value that removes it (a delete of the delta log). */
const REMOVED = Symbol('removed');

/** Spark's default checkpoint interval of mapWithState: ten batches. */
const CHECKPOINT_MULTIPLIER = 10;

/**
 * Spark's InternalMapWithStateDStream: each batch's RDD has one record per partition holding
 * the state version after the batch (a persistent map, see hamt.ts) and the mapped values.
 *
 * Cost per batch: the batch's records, plus the keys timing out. Each key written in a batch is
 * also filed in that batch time's bucket; at batch t the buckets older than t − timeout are
 * visited once and dropped, and a key in them times out only if its last write is still that
 * bucket's time (a later write refiled it, a removal dropped it). Nothing scans the whole state:
 * a snapshot is the version's root, read only when someone reads stateSnapshots' RDD.
 *
 * A batch works on new roots under its own edit number; the committed version, the buckets
 * and the change log are changed only once the whole batch succeeded.
 */
export class InternalMapWithStateDStream<K, V, S, M> extends StatefulDStream<
  MapWithStateRecord<K, S, M>,
  Version<K, S, M>
> {
  readonly numPartitions: number;
  private roots: Root<K, S>[];
  private sizes: number[];
  /** The keys restored as text that no batch wrote since, under the roots (until all are written). */
  private table: RestoredTable<S> | undefined;
  /** Leaves written at each batch time, oldest first (only with a timeout). */
  private buckets = new Map<number, Leaf<K, S>[]>();
  private editSeq = 0;
  private readonly log = new ChangeLog<K, Leaf<K, S>>(replacedIn);
  private readonly state = new State<S>();
  private readonly path = new Path<K, S>();
  /** How many values each partition's last batch mapped, changes it logged and leaves it replaced (Appender). */
  private readonly mappedSizes: number[];
  private loggedSize = 0;
  private replacedSize = 0;

  constructor(
    parent: DStream<[K, V]>,
    private readonly spec: StateSpec<K, V, S, M>,
  ) {
    super(parent as DStream<unknown>, 'mapWithState', { name: spec.getName() });
    this.numPartitions = spec.getNumPartitions() ?? this.graph.defaultParallelism;
    this.roots = Array.from({ length: this.numPartitions }, () => emptyRoot<K, S>());
    this.sizes = new Array<number>(this.numPartitions).fill(0);
    this.mappedSizes = new Array<number>(this.numPartitions).fill(0);
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

  protected advance(time: number): Version<K, S, M> {
    const n = this.numPartitions;
    const edit = ++this.editSeq;
    const fn = this.spec.getFunction();
    const keepUndefined = this.spec.outputsUndefined();
    const timeout = this.spec.getTimeout();
    const stamp = stampOf(time, timeout);
    const state = this.state;
    const path = this.path;
    const roots = this.roots.slice();
    const sizes = this.sizes.slice();
    // Each sized as in the last batch (Appender).
    const mapped = this.mappedSizes.map((size) => new Appender<M>(size));
    const logKeys = new Appender<K>(this.loggedSize);
    const logEntries = new Appender<Leaf<K, S> | undefined>(this.loggedSize);
    const written: Leaf<K, S>[] = [];
    /**
     * Leaves this batch removed, and those of earlier batches it replaced while the change log
     * holds batches for a later checkpoint (deferDelta): marked (Leaf.edit) at commit.
     */
    const replaced = new Appender<Leaf<K, S>>(this.replacedSize);
    const holding = this.log.heldTime !== undefined;
    const timedOutBuckets: number[] = [];
    /** Whether the function removed a key: then a key may be logged twice in this batch. */
    let removedSome = false;

    let initialLoaded = false;
    if (this.latestTime === undefined && this.loadsInitialState) {
      // The state is empty (nothing restored or edited: either sets latestTime). Built in bulk as
      // a restore builds it (buildRoot, the later of a key given twice winning): a path copy per
      // key, and its garbage, took nearly half the first batch of a million-key initial state.
      const parts: Leaf<K, S>[][] = Array.from({ length: n }, () => []);
      for (const [k, s] of this.initialPairs()) {
        const { h, mh, code } = keyInfo(k);
        const leaf = new Leaf(h, mh, k, code, s, stamp, edit);
        parts[n === 1 ? 0 : (h >>> 0) % n]!.push(leaf);
        if (timeout !== undefined) written.push(leaf);
        initialLoaded = true;
      }
      for (let p = 0; p < n && initialLoaded; p++) {
        const built = buildRoot(parts[p]!, edit);
        roots[p] = built.root;
        sizes[p] = built.size;
      }
    }

    // One pass over the batch's records in arrival order, each applied to its key's partition
    // (Spark's partitionBy keeps arrival order within a partition; partitions are independent).
    // Keys of the restored table this batch wrote or removed: hidden from this version on at commit.
    const table = this.table;
    const hidden: number[] = [];
    const applyKV = (k: K, v: V): void => {
      const code = structuredCode(k);
      // The hash as a signed 32-bit integer (the same bits): a small integer in the leaf.
      const h = hashKeySigned(code ?? k);
      const p = n === 1 ? 0 : (h >>> 0) % n;
      const mh = mix(h);
      const root = roots[p]!;
      let leaf = lookupPath(root, mh, k, code, path);
      // Not in the trie: maybe in the table; a tombstone in the trie: removed.
      const entry = leaf === undefined && table !== undefined ? table.find(k, h, mh) : -1;
      if (leaf !== undefined && (leaf.value as unknown) === TOMBSTONE) leaf = undefined;
      if (leaf !== undefined) state.wrap(true, leaf.value, leaf.edit === edit);
      else if (entry >= 0) state.wrap(true, table!.valueAt(entry), false);
      else state.wrap(false, undefined);
      const had = leaf !== undefined || entry >= 0;
      const result = fn(time, k, v, state);
      if (state.isRemoved()) {
        if (had) {
          removedSome = true;
          if (leaf !== undefined) replaced.add(leaf);
          // A key the table holds stays in the trie as a tombstone, which hides its entry.
          if (entry >= 0 || (table !== undefined && table.find(k, h, mh) >= 0)) {
            roots[p] = putAlong(path, new Leaf(h, mh, k, code, TOMBSTONE as unknown as S, stamp, edit), edit);
            if (entry >= 0) hidden.push(entry);
          } else roots[p] = remove(root, mh, k, code, edit);
          sizes[p]!--;
          logKeys.add(leaf !== undefined ? leaf.key : k);
          logEntries.add(undefined);
        }
      } else if (state.isUpdated() || (had && timeout !== undefined)) {
        // Spark: with a timeout, a key that received data counts as active even if not updated.
        const value = state.current() as S;
        if (leaf !== undefined && leaf.edit === edit) {
          leaf.value = value;
          leaf.stamp = stamp;
        } else {
          // A key already in the trie keeps its leaf's key object: this record's copy of it (a
          // string just read, say) does not live on in the state. The change log takes the
          // record's copy: the commit's encoding then reads keys lying together with the batch's
          // other young objects, not scattered over the state's heap (1 M keys: 1.3-1.6 -> 0.5-0.6
          // ms a 10 k-key commit, bench/checkpoint.ts), at the price of keeping them until the write.
          const fresh = new Leaf(h, mh, leaf !== undefined ? leaf.key : k, code, value, stamp, edit);
          if (leaf !== undefined && holding) replaced.add(leaf);
          roots[p] = putAlong(path, fresh, edit); // the path lookupPath recorded: no second walk
          if (!had) sizes[p]!++;
          if (entry >= 0) hidden.push(entry);
          logKeys.add(k);
          logEntries.add(fresh);
          if (timeout !== undefined) written.push(fresh);
        }
      }
      if (result !== undefined || keepUndefined) mapped[p]!.add(result as M);
    };
    // Small enough for V8 to inline into a fused stage's loop, so a pair made just before (a
    // map to [k, v]) is read where it is made and never allocated.
    const apply = (kv: [K, V]): void => applyKV(kv[0], kv[1]);
    const data = (this.parent as DStream<[K, V]>).getOrCompute(time);
    if (data) for (let i = 0; i < data.numPartitions; i++) data.iteratePartition(i, apply);

    if (timeout !== undefined) {
      // Keys whose last write is older than the threshold time out (Spark: updateTime < batchTime - timeout).
      const threshold = time - timeout;
      for (const [bucketTime, leaves] of this.buckets) {
        if (bucketTime >= threshold) break;
        timedOutBuckets.push(bucketTime);
        for (const filed of leaves) {
          const p = n === 1 ? 0 : (filed.h >>> 0) % n;
          const leaf = lookup(roots[p]!, filed.mh, filed.key, filed.code);
          if (leaf === undefined || leaf.stamp !== bucketTime) continue; // written since, or removed
          state.wrapTimingOut(leaf.value);
          const result = fn(time, leaf.key, undefined, state);
          roots[p] = remove(roots[p]!, leaf.mh, leaf.key, leaf.code, edit);
          replaced.add(leaf);
          sizes[p]!--;
          logKeys.add(leaf.key);
          logEntries.add(undefined);
          if (result !== undefined || keepUndefined) mapped[p]!.add(result as M);
        }
      }
    }

    const mappedOut = mapped.map((m) => m.done());
    for (let p = 0; p < n; p++) this.mappedSizes[p] = mappedOut[p]!.length;
    const keysOut = logKeys.done();
    const entriesOut = logEntries.done();
    this.loggedSize = keysOut.length;

    // Commit.
    this.roots = roots;
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
    const replacedOut = replaced.done();
    this.replacedSize = replacedOut.length;
    for (const leaf of replacedOut) leaf.edit = -edit;
    this.log.record(time, keysOut, entriesOut, this.size, !removedSome, edit);
    this.publishChanges(time, keysOut, entriesOut, (leaf) => leaf.value);
    return roots.map((root, p) => ({ root, mapped: mappedOut[p]!, table: table && { table, part: p, edit } }));
  }

  protected override initialPairs(): ReadonlyArray<readonly [K, S]> {
    const initial = this.spec.getInitialState();
    return initial === undefined ? [] : initial instanceof RDD ? initial.collect() : initial;
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
            for (const r of version) forEachEntry(r.root, r.table, (k, v, stamp) => put(k, [v, stamp]));
          },
          (leaf) => [leaf.value, leaf.stamp],
        )
      : this.stateCheckpoint(
          time,
          full,
          this.log,
          (version, put) => {
            for (const r of version) forEachEntry(r.root, r.table, put);
          },
          (leaf) => leaf.value,
        );
    return delta === undefined ? undefined : { ...delta, ...this.checkpointMeta({ stamps: this.stamps }) };
  }

  /** Group commit: the batch's changes go with a later batch's delta (Checkpointable.deferDelta). */
  deferDelta(time: number, check: (key: unknown, value: unknown) => boolean): number | undefined {
    if (!this.mayDefer(time)) return undefined;
    // With a timeout a key's stored value is [state, time of its last write]: the time is a number.
    return this.log.hold(time, (k, leaf) => check(k, leaf.value));
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
    return this.snapshotOf(time, function* (version) {
      for (const r of version) yield* entryChunks(r.root, r.table, size, stamps);
    });
  }

  override stateShape(): string {
    return 'mapWithState';
  }

  restoreCheckpoint(saved: SavedStreamCheckpoint): void {
    const n = this.numPartitions;
    const edit = ++this.editSeq;
    const parts: Leaf<K, S>[][] = Array.from({ length: n }, () => []);
    const timeout = this.spec.getTimeout();
    const stamped = (saved.meta as { stamps?: unknown } | null | undefined)?.stamps !== false;
    // Snapshot chunks whose keys are text stay text (RestoredTable.ts) when no key needs a leaf of
    // its own: no timeout, and the values are the states themselves.
    const textChunks = (saved.log?.base ?? []).filter((c): c is KeyTextChunk => !Array.isArray(c));
    const table = textChunks.length > 0 && !stamped && timeout === undefined ? new RestoredTable<S>(textChunks, n, saved.time) : undefined;
    const add = (k: unknown, v: unknown): void => {
      if (v === REMOVED) v = stamped ? [REMOVED, 0] : REMOVED;
      if (stamped && (!Array.isArray(v) || v.length !== 2 || typeof v[1] !== 'number')) {
        throw new Error(`mapWithState checkpoint: malformed entry for key ${JSON.stringify(k)}`);
      }
      const code = structuredCode(k);
      const h = hashKeySigned(code ?? k);
      const mh = mix(h);
      // The delta log's change of a key the table holds changes the table (no version exists yet).
      const entry = table === undefined ? -1 : table.find(k, h, mh);
      if (entry >= 0) {
        if (v === REMOVED) table!.restoreRemove(entry);
        else table!.restorePut(entry, v as S);
        return;
      }
      // Unstamped (no timeout when written): as if written by the restored batch.
      const leaf = stamped
        ? new Leaf(h, mh, k as K, code, (v as [S, number])[0], stampOf((v as [S, number])[1], timeout), edit)
        : new Leaf(h, mh, k as K, code, v as S, stampOf(saved.time, timeout), edit);
      parts[n === 1 ? 0 : (h >>> 0) % n]!.push(leaf);
    };
    if (saved.log !== undefined) {
      // The snapshot, then each delta entry's removals (as leaves that take the key out) and puts:
      // the trie is built once from all of them, the later leaf of a key winning.
      for (const chunk of saved.log.base) {
        if (Array.isArray(chunk)) for (let i = 0; i < chunk.length; i += 2) add(chunk[i], chunk[i + 1]);
        else if (table === undefined) {
          const { keys, starts, values } = chunk as KeyTextChunk;
          for (let i = 0; i < values.length; i++) add(keys.slice(starts[i]!, starts[i + 1]! - 1), values[i]);
        }
      }
      for (const { flat, deletes } of saved.log.deltas) {
        for (const k of deletes) add(k, REMOVED);
        for (let i = 0; i < flat.length; i += 2) add(flat[i], flat[i + 1]);
      }
    } else {
      for (const [k, v] of saved.state) add(k, v);
    }
    // Built bottom-up, partition by partition.
    const roots: Root<K, S>[] = [];
    const sizes: number[] = [];
    const removes = (leaf: Leaf<K, S>): boolean => (leaf.value as unknown) === REMOVED;
    for (const leaves of parts) {
      const { root, size } = buildRoot(leaves, edit, removes);
      roots.push(root);
      sizes.push(size);
    }
    if (table !== undefined) for (let p = 0; p < n; p++) sizes[p]! += table.visibleIn(p);
    const byTime = new Map<number, Leaf<K, S>[]>();
    if (timeout !== undefined) {
      for (const root of roots) {
        forEachLeaf(root, (leaf) => {
          let b = byTime.get(leaf.stamp);
          if (b === undefined) byTime.set(leaf.stamp, (b = []));
          b.push(leaf);
        });
      }
    }
    this.roots = roots;
    this.sizes = sizes;
    this.table = table !== undefined && !table.allHidden ? table : undefined;
    this.buckets = new Map([...byTime].sort((a, b) => a[0] - b[0]));
    this.log.reset();
    // Written the other way (a timeout added or removed since): rewrite it all the current way.
    if (stamped !== this.stamps) this.log.requireFull(saved.time);
    this.restoredAt(
      saved.time,
      roots.map((root, p) => ({ root, mapped: [], table: this.table && { table: this.table, part: p, edit } })),
      saved.meta,
    );
  }
}
