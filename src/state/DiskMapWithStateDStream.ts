import type { SavedStreamCheckpoint, StateKeyCounts, StateReader, StreamCheckpoint } from '../dstream/Checkpointable.js';
import type { DStream } from '../dstream/DStream.js';
import type { AsyncState } from '../dstream/DStreamGraph.js';
import { hashKey } from '../rdd/keys.js';
import type { Spill } from '../rdd/SpillRDD.js';
import { DiskChanges, type Change } from '../dstream/DiskChanges.js';
import { codeOf } from '../rdd/keyCode.js';
import { LeafMap, LeafView, StateVersion } from './stateMap.js';
import type { MapWithStateRecord } from './InternalMapWithStateDStream.js';
import { State } from './State.js';
import { StatefulDStream } from './StatefulDStream.js';
import type { StateSpec } from './StateSpec.js';
import { resolveStateStore } from '../dstream/stateStore.js';

type Version<K, S, M> = MapWithStateRecord<K, S, M>[];

/** A key's state as the store holds it: [state, time of its last write]; undefined: no state. */
type Stored<S> = readonly [S, number] | undefined;

/** A key's value known in memory: what the store holds (or will, once a commit lands). */
type Known<K, S> = Change<K, readonly [S, number]>;

/** Entries per LevelDB read of a scan (idle keys, stateSnapshots). */
const SCAN_CHUNK = 2000;


/** The records' view: the state is on disk, read through stateSnapshots' spill files, never through it. */
const NO_LEAVES = new LeafView<never, never>(new LeafMap<never, never>(), new StateVersion(0, 0));

/**
 * mapWithState with its state on disk (`StateSpec.stateStore('disk')`): keys and values live in
 * the checkpoint's LevelDB store, one entry per key (`state/<stream>/<key>`), and only a bounded
 * cache of hot keys stays in memory. Restarting opens the store and loads nothing.
 *
 * When things happen: a batch looks each of its keys up — in its own changes, then in the changes
 * of batches whose commit is not yet known durable (`unsettled`), then the cache, then the store
 * with a synchronous LevelDB get — and calls the function as the in-memory operation does. Its
 * changes become the batch's commit (the Checkpointer writes them key by key in the batch's one
 * atomic LevelDB commit, with everything else of the batch) and enter the cache. They leave
 * `unsettled` once the commit holding them is written (`checkpointWritten`, possibly a few
 * batches later: commits are group-committed) and the store's reads return them.
 *
 * With a timeout, each key also has an entry in the store's index by time of last write
 * (`idle/<stream>/<time>/<key>`), moved in the same commit as the key. Before the batch runs
 * (`prepareState`, awaited by DStreamGraph.materializeState) the keys the index holds before
 * batch time − timeout are read asynchronously; the batch then times out those whose last write
 * (in its own changes, `unsettled`, the cache or the store) is still that old, as in memory.
 *
 * stateSnapshots(): once the batch advanced, the store is read asynchronously (with `unsettled`,
 * the batch's changes included, laid over it) into spill files the snapshot RDD reads lazily.
 */
export class DiskMapWithStateDStream<K, V, S, M>
  extends StatefulDStream<MapWithStateRecord<K, S, M>, Version<K, S, M>>
  implements AsyncState
{
  readonly numPartitions: number;
  readonly stateOnDisk = true;
  private reader: StateReader | undefined;
  private readonly cacheKeys: number;
  /**
   * The cache: committed values of recently used keys, in two generations of up to cacheKeys / 2
   * each. A key used is put in `hot`; when `hot` is full it becomes `warm` and the old `warm` is
   * dropped; a key found in `warm` moves back to `hot`. O(1) per use (a Map kept in LRU order
   * by delete + set would cost O(holes) per eviction: V8 scans its deleted slots from the front).
   */
  private hot = new Map<unknown, Known<K, S>>();
  private warm = new Map<unknown, Known<K, S>>();
  /** Changes of batches whose commit may not be durable yet (`unsettled`), and those a checkpoint has yet to take. */
  private readonly changes = new DiskChanges<K, readonly [S, number]>();
  /** Keys in the store once every change so far is written. */
  private keysOnDisk = 0;
  private readonly state = new State<S>();
  /** The keys the idle index held before the batch's threshold (read by prepareState), by code. */
  private idle: { time: number; keys: Map<unknown, K> } | undefined;
  /** Whether stateSnapshots() was asked for: then each batch's state is spilled. */
  private snapshotsWanted = false;
  /** Each remembered batch's state, spilled for stateSnapshots(). */
  private readonly snapshots = new Map<number, Spill>();

  constructor(
    parent: DStream<[K, V]>,
    private readonly spec: StateSpec<K, V, S, M>,
  ) {
    super(parent as DStream<unknown>, 'mapWithState', { name: spec.getName() });
    this.numPartitions = spec.getNumPartitions() ?? this.graph.defaultParallelism;
    this.cacheKeys = resolveStateStore(spec.getStateStore()).cacheKeys;
  }

  override initialize(zeroTime: number): void {
    if (this.checkpointDuration === undefined) this.checkpointDuration = this.slideDuration * 10;
    super.initialize(zeroTime);
  }

  /** Keys in the state (in the store once every change is written). */
  override get size(): number {
    return this.keysOnDisk;
  }

  override stateKeys(): StateKeyCounts {
    return { inMemory: this.hot.size + this.warm.size + this.changes.unsettled.size, onDisk: this.keysOnDisk };
  }

  override stateShape(): string {
    return 'mapWithState store=disk';
  }

  attachStateReader(reader: StateReader, restoredKeys: number): void {
    this.reader = reader;
    this.keysOnDisk = restoredKeys;
  }

  /** stateSnapshots() reads each batch's state from spill files written after the batch advanced. */
  wantSnapshots(): void {
    this.snapshotsWanted = true;
  }

  /** Batch `time`'s whole state as spilled for stateSnapshots(). */
  snapshotSpill(time: number): Spill {
    const spill = this.snapshots.get(time);
    if (spill === undefined) throw new Error(`mapWithState: the state of batch ${time} is not kept on disk for stateSnapshots()`);
    return spill;
  }

  prepareState(time: number): Promise<void> | undefined {
    if (this.spec.getTimeout() === undefined && !this.snapshotsWanted) return undefined;
    return this.isTimeValid(time) ? this.prepareUpTo(time) : undefined;
  }

  private async prepareUpTo(time: number): Promise<void> {
    if (this.versions.has(time)) return;
    const slide = this.slideDuration;
    const timeout = this.spec.getTimeout();
    // Batches run in time order, so this loop normally does `time` alone.
    for (let t = this.advancedThrough + slide; t <= time; t += slide) {
      if (timeout !== undefined) await this.readIdle(t, t - timeout);
      this.versionAt(t);
      if (this.snapshotsWanted) this.snapshots.set(t, await this.spillState());
    }
  }

  private openReader(): StateReader {
    if (this.reader === undefined) throw new Error('mapWithState: the disk state store is not open (the context has no checkpoint store)');
    return this.reader;
  }

  /** The keys whose index entry is older than `threshold`: candidates to time out at batch `time`. */
  private async readIdle(time: number, threshold: number): Promise<void> {
    const keys = new Map<unknown, K>();
    // A commit written while the index is read may be missing from the read and, by the time the
    // batch runs, from `unsettled` too (settled meanwhile): its old keys are candidates as of now.
    // (advance checks every candidate's last write again.)
    for (const [code, known] of this.changes.unsettled) if (known.value !== undefined && known.value[1] < threshold) keys.set(code, known.key);
    for await (const flat of this.openReader().idleBefore(threshold, SCAN_CHUNK)) {
      for (let i = 0; i < flat.length; i += 2) keys.set(codeOf(flat[i + 1]), flat[i + 1] as K);
    }
    this.idle = { time, keys };
  }

  /** The state after the latest batch — the store with the changes not yet durable over it — into spill files. */
  private spillState(): Promise<Spill> {
    return this.changes.spill(this.openReader(), this.numPartitions, (stored) => stored[0]);
  }

  override clearMetadata(time: number): void {
    super.clearMetadata(time);
    for (const [t, spill] of this.snapshots) {
      if (this.versions.has(t)) continue;
      spill.remove();
      this.snapshots.delete(t);
    }
  }

  protected partitionsOf(version: Version<K, S, M>): MapWithStateRecord<K, S, M>[][] {
    return version.map((r) => [r]);
  }

  private lookup(code: unknown, key: K, mine: Map<unknown, Known<K, S>>): Known<K, S> | undefined {
    const own = mine.get(code) ?? this.changes.unsettled.get(code);
    if (own !== undefined) return own;
    const cached = this.hot.get(code);
    if (cached !== undefined) return cached;
    const warm = this.warm.get(code);
    if (warm !== undefined) {
      this.keepHot(code, warm);
      return warm;
    }
    if (this.reader === undefined) throw new Error('mapWithState: the disk state store is not open (the context has no checkpoint store)');
    const raw = this.reader.get(key);
    if (raw !== undefined && (!Array.isArray(raw) || raw.length !== 2 || typeof raw[1] !== 'number')) {
      throw new Error(`mapWithState checkpoint: malformed entry for key ${JSON.stringify(key)}`);
    }
    const found: Known<K, S> = { key, value: raw as Stored<S>, time: 0 };
    this.keepHot(code, found);
    return found;
  }

  private keepHot(code: unknown, known: Known<K, S>): void {
    if (this.cacheKeys === 0) return;
    this.hot.set(code, known);
    if (this.hot.size >= Math.max(1, this.cacheKeys >> 1)) {
      this.warm = this.hot;
      this.hot = new Map();
    }
  }

  protected advance(time: number): Version<K, S, M> {
    const n = this.numPartitions;
    const fn = this.spec.getFunction();
    const keepUndefined = this.spec.outputsUndefined();
    const state = this.state;
    const mine = new Map<unknown, Known<K, S>>();
    const mapped: M[][] = Array.from({ length: n }, () => []);
    const timeout = this.spec.getTimeout();
    let added = 0;
    // The time of last write the store's idle index has for a key (its entry to remove on a change).
    const prevOf = (known: Known<K, S> | undefined): number | undefined =>
      known === undefined ? undefined : known.time === time ? known.prev : known.value?.[1];
    /** The initial state's values, which stay the user's: the function gets copies of them. */
    const given = new Set<unknown>();

    if (this.latestTime === undefined) {
      const initial = this.spec.getInitialState();
      const pairs = initial === undefined ? [] : Array.isArray(initial) ? initial : (initial as { collect(): [K, S][] }).collect();
      for (const [k, s] of pairs) {
        const code = codeOf(k);
        const known = this.lookup(code, k, mine);
        if (known?.value === undefined) added++;
        const entry = { key: k, value: [s, time] as const, time, prev: prevOf(known) };
        mine.set(code, entry);
        given.add(entry);
      }
    }

    const data = (this.parent as DStream<[K, V]>).getOrCompute(time);
    if (data) {
      const runs: unknown[][] = Array.from({ length: n }, () => []);
      for (let i = 0; i < data.numPartitions; i++) {
        data.iteratePartition(i, (kv) => {
          const k = kv[0];
          const code = codeOf(k);
          const h = hashKey(typeof k === 'object' && k !== null ? (code as string).slice(1) : k);
          runs[n === 1 ? 0 : h % n]!.push(k, kv[1], code);
        });
      }
      for (let p = 0; p < n; p++) {
        const run = runs[p]!;
        const out = mapped[p]!;
        for (let j = 0; j < run.length; j += 3) {
          const k = run[j] as K;
          const code = run[j + 2];
          const known = this.lookup(code, k, mine);
          const exists = known?.value !== undefined;
          state.wrap(exists, known?.value?.[0], known !== undefined && known.time === time && !given.has(known));
          const result = fn(time, k, run[j + 1] as V, state);
          if (state.isRemoved()) {
            if (exists) {
              mine.set(code, { key: k, value: undefined, time, prev: prevOf(known) });
              added--;
            }
          } else if (state.isUpdated() || (exists && timeout !== undefined)) {
            // Spark: with a timeout, a key that received data counts as active even if not updated.
            if (!exists) added++;
            mine.set(code, { key: k, value: [state.ownedCurrent() as S, time], time, prev: prevOf(known) });
          }
          if (result !== undefined || keepUndefined) out.push(result as M);
        }
      }
    }

    if (timeout !== undefined) {
      // Keys whose last write is older than the threshold time out (Spark: updateTime < batchTime - timeout):
      // those the idle index listed, and those written by commits that may not be in it yet.
      const threshold = time - timeout;
      const idle = this.idle?.time === time ? this.idle.keys : new Map<unknown, K>();
      this.idle = undefined;
      for (const [code, known] of this.changes.unsettled) if (known.value !== undefined && known.value[1] < threshold) idle.set(code, known.key);
      for (const [code, k] of idle) {
        const known = this.lookup(code, k, mine);
        if (known?.value === undefined || known.time === time || known.value[1] >= threshold) continue; // removed, or written since
        state.wrapTimingOut(known.value[0]);
        const result = fn(time, k, undefined, state);
        mine.set(code, { key: k, value: undefined, time, prev: known.value[1] });
        added--;
        const p = n === 1 ? 0 : hashKey(typeof k === 'object' && k !== null ? (code as string).slice(1) : k) % n;
        if (result !== undefined || keepUndefined) mapped[p]!.push(result as M);
      }
    }

    // Commit: every function call succeeded.
    const keys: K[] = [];
    const entries: (Known<K, S> | undefined)[] = [];
    for (const [code, known] of mine) {
      this.keepHot(code, known);
      keys.push(known.key);
      entries.push(known.value === undefined ? undefined : known);
    }
    this.changes.record(time, mine);
    this.keysOnDisk += added;
    this.publishChanges(time, keys, entries, (e) => e.value![0]);
    const leaves = NO_LEAVES as unknown as LeafView<K, S>;
    return mapped.map((m) => ({ state: leaves, mapped: m }));
  }

  /** The changes of the batches up to `time` not yet taken, key by key (the store is the state: `full` adds nothing). */
  checkpointDelta(time: number, _full: boolean): StreamCheckpoint | undefined {
    if (this.latestTime === undefined || time > this.latestTime) return undefined;
    const stamps = this.spec.getTimeout() !== undefined;
    const idleDeletes: Array<[number, unknown]> = [];
    const merged = this.changes.take(time, (known) => {
      if (stamps && known.prev !== undefined) idleDeletes.push([known.prev, known.key]);
    });
    const puts: Array<[unknown, unknown]> = [];
    const deletes: unknown[] = [];
    const idlePuts: Array<[number, unknown]> = [];
    for (const known of merged) {
      if (known.value === undefined) deletes.push(known.key);
      else {
        puts.push([known.key, known.value]);
        if (stamps) idlePuts.push([known.value[1], known.key]);
      }
    }
    const state = { replace: false, puts, deletes, ...(stamps ? { idle: { puts: idlePuts, deletes: idleDeletes } } : {}) };
    return { state, ...this.checkpointMeta({ keys: this.keysOnDisk }) };
  }

  /** The commit holding the changes of the batches up to `time` is written: the store's reads return them. */
  checkpointWritten(time: number): void {
    this.changes.settle(time);
  }

  restoreCheckpoint(saved: SavedStreamCheckpoint): void {
    this.hot.clear();
    this.warm.clear();
    this.changes.reset();
    this.idle = undefined;
    for (const spill of this.snapshots.values()) spill.remove();
    this.snapshots.clear();
    this.restoredAt(
      saved.time,
      Array.from({ length: this.numPartitions }, () => ({ state: NO_LEAVES as unknown as LeafView<K, S>, mapped: [] as M[] })),
      saved.meta,
    );
  }
}
