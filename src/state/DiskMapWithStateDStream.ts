import type { SavedStreamCheckpoint, StateKeyCounts, StateReader, StreamCheckpoint } from '../dstream/Checkpointable.js';
import type { DStream } from '../dstream/DStream.js';
import type { AsyncState } from '../dstream/DStreamGraph.js';
import { hashKey } from '../rdd/keys.js';
import { SpillRDD, SpillWriter, type Spill } from '../rdd/SpillRDD.js';
import { DiskChanges, type Change } from '../dstream/DiskChanges.js';
import { codeOf } from '../rdd/keyCode.js';
import { LeafMap, LeafView, StateVersion } from './stateMap.js';
import type { MapWithStateRecord } from './InternalMapWithStateDStream.js';
import { State } from './State.js';
import { StatefulDStream } from './StatefulDStream.js';
import type { StateSpec } from './StateSpec.js';
import { resolveStateStore } from '../dstream/stateStore.js';
import { initialPairsOf } from './args.js';
import { isPair, refuseNonPair } from '../rdd/checks.js';

type Version<K, S, M> = MapWithStateRecord<K, S, M>[];

/** A key's state as the store holds it: [state, time of its last write]; undefined: no state. */
type Stored<S> = readonly [S, number] | undefined;

/** A key's value known in memory: what the store holds (or will, once a commit lands). */
type Known<K, S> = Change<K, readonly [S, number]>;

/** Entries per LevelDB read of a scan (idle keys, stateSnapshots). */
const SCAN_CHUNK = 2000;

/** A key that may time out: the time of last write it was listed with, and (only while stale entries may exist) its index entries' times. */
interface IdleKey<K> {
  key: K;
  time: number;
  indexed?: number[];
}

/**
 * One read of the idle index, for the batch after `basedOn`: the keys whose time of last write is
 * before `upTo` (that batch's time − timeout) — the index's entries, and the keys of the commits
 * in flight when it started. It starts as soon as batch `basedOn` advanced, so that the next batch
 * finds it done even when it is computed at its generation (an action in a `transform`).
 */
interface IdleRead<K> {
  readonly upTo: number;
  readonly basedOn: number;
  /** By key code. */
  readonly keys: Map<unknown, IdleKey<K>>;
  /** It listed the keys the index may not have (written before `legacyFrom`, see the stream) from the store itself. */
  readonly legacy: boolean;
  done: boolean;
  failed: unknown;
  settled: Promise<void>;
}


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
 * (`idle/<stream>/<time>/<key>`), moved in the same commit as the key. As soon as a batch
 * advanced, the keys the index holds before the next batch's time − timeout are read
 * asynchronously (`IdleRead`; `prepareState`, awaited by DStreamGraph.materializeState, waits for
 * it); the next batch then times out those whose last write (in its own changes, `unsettled`, the
 * cache or the store) is still that old, as in memory. A batch computed at its generation (an
 * action in a `transform`) before its read is done — batches generated together: a clock jump,
 * the catch-up after a restart — times out the keys of the commits in flight only; the others
 * time out at the first batch whose read is done. A timeout added at a restart (the index was not
 * kept: the meta's `idle`) counts every key not written since as written at the restored batch,
 * as the memory store does: the batch that times them out lists them from the store itself.
 *
 * stateSnapshots(): each batch's whole state goes to spill files the snapshot RDD reads lazily —
 * the previous batch's spill with the batch's changes over it, written synchronously when the
 * batch advances (at its generation if a `transform` reads it then); a restore spills the
 * restored state from the store.
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
  /** The latest read of the idle index (with a timeout). */
  private idleRead: IdleRead<K> | undefined;
  /**
   * The index does not have the keys no batch wrote since this batch (the state was kept without a
   * timeout until then): they count as written by it; undefined once the index has every key.
   */
  private legacyFrom: number | undefined;
  /** The batch that timed out the keys `legacyFrom` covered: from it on the index has every key. */
  private legacyDoneAt: number | undefined;
  /** Index entries found stale (their key's last write is another time), by the batch whose commit deletes them. */
  private readonly staleIdle = new Map<number, Array<[number, K]>>();
  /** The key count after each batch not yet checkpointed (a batch may advance ahead of the checkpoints). */
  private readonly keysAfter = new Map<number, number>();
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

  /** Batch `time`'s whole state as spilled for stateSnapshots(), the state advanced to it first if need be (read at its generation). */
  snapshotSpill(time: number): Spill {
    if (!this.versions.has(time)) this.versionAt(time);
    const spill = this.snapshots.get(time);
    if (spill === undefined) throw new Error(`mapWithState: the state of batch ${time} is not kept on disk for stateSnapshots()`);
    return spill;
  }

  /** With a timeout: batch `time` waits for the read of its idle keys (see IdleRead). */
  prepareState(time: number): Promise<void> | undefined {
    if (this.spec.getTimeout() === undefined) return undefined;
    return this.isTimeValid(time) ? this.prepareUpTo(time) : undefined;
  }

  private async prepareUpTo(time: number): Promise<void> {
    const slide = this.slideDuration;
    // Batches run in time order, so this loop normally does `time` alone. A batch computed at its
    // generation meanwhile (an action in a transform) is skipped.
    for (let t = this.advancedThrough + slide; t <= time; t += slide) {
      if (this.latestTime !== undefined && t <= this.latestTime) continue;
      let read = this.idleRead;
      if (read === undefined || !this.covers(read, t)) read = this.startRead(t - slide);
      await read.settled;
      if (read.failed !== undefined) throw read.failed;
      if (this.latestTime !== undefined && t <= this.latestTime) continue;
      this.versionAt(t);
    }
  }

  /** Whether `read` lists every key that may time out at batch `t` (writes of batches after its base cannot: t − timeout ≤ base + slide). */
  private covers(read: IdleRead<K>, t: number): boolean {
    return read.failed === undefined && t > read.basedOn && t <= read.basedOn + this.slideDuration;
  }

  /** The time of last write a key counts as having (a key the index may not have: see legacyFrom). */
  private lastWrite(stamp: number): number {
    const from = this.legacyDoneAt === undefined ? this.legacyFrom : undefined;
    return from !== undefined && stamp < from ? from : stamp;
  }

  /**
   * Starts reading the keys that may time out at the batch after `basedOn` (the batch the state
   * advanced through): IdleRead. Never throws: a failure is the read's, for the batch that waits for it.
   */
  private startRead(basedOn: number): IdleRead<K> {
    const upTo = basedOn + this.slideDuration - this.spec.getTimeout()!;
    const legacyFrom = this.legacyDoneAt === undefined ? this.legacyFrom : undefined;
    const keys = new Map<unknown, IdleKey<K>>();
    const read: IdleRead<K> = { upTo, basedOn, keys, legacy: legacyFrom !== undefined && upTo > legacyFrom, done: false, failed: undefined, settled: Promise.resolve() };
    const add = (code: unknown, key: K, time: number, indexedAt?: number): void => {
      let known = keys.get(code);
      if (known === undefined) keys.set(code, (known = { key, time }));
      else if (time < known.time) known.time = time;
      if (indexedAt !== undefined) (known.indexed ??= []).push(indexedAt);
    };
    // A commit written while the index is read may be missing from the read and, by the time the
    // batch runs, from `unsettled` too (settled meanwhile): its old keys are candidates as of now.
    // (advance checks every candidate's last write again.)
    for (const [code, known] of this.changes.unsettled) {
      if (known.value === undefined) continue;
      const t = this.lastWrite(known.value[1]);
      if (t < upTo) add(code, known.key, t);
    }
    this.idleRead = read;
    const reader = this.reader;
    read.settled = (async () => {
      try {
        if (reader === undefined) throw new Error('mapWithState: the disk state store is not open (the context has no checkpoint store)');
        for await (const flat of reader.idleBefore(upTo, SCAN_CHUNK)) {
          for (let i = 0; i < flat.length; i += 2) {
            const at = flat[i] as number;
            const k = flat[i + 1] as K;
            // While the index may hold stale entries (legacyFrom), each entry's time is kept: advance deletes those that are.
            add(codeOf(k), k, this.lastWrite(at), legacyFrom !== undefined ? at : undefined);
          }
        }
        if (read.legacy) {
          // The keys no batch wrote since legacyFrom, which the index may not have: from the store.
          for await (const flat of reader.scan(SCAN_CHUNK)) {
            for (let i = 0; i < flat.length; i += 2) {
              const stored = flat[i + 1];
              if (Array.isArray(stored) && typeof stored[1] === 'number' && stored[1] <= legacyFrom!) add(codeOf(flat[i]), flat[i] as K, legacyFrom!);
            }
          }
        }
        read.done = true;
      } catch (err) {
        read.failed = err ?? new Error('mapWithState: reading the idle index failed');
      }
    })();
    return read;
  }

  private openReader(): StateReader {
    if (this.reader === undefined) throw new Error('mapWithState: the disk state store is not open (the context has no checkpoint store)');
    return this.reader;
  }

  /** The state after the latest batch — the store with the changes not yet durable over it — into spill files. */
  private spillState(): Promise<Spill> {
    return this.changes.spill(this.openReader(), this.numPartitions, (stored) => stored[0]);
  }

  /** The state after a batch that changed `mine`, into spill files: the latest batch's spill with those changes over it. */
  private spillAfter(mine: Map<unknown, Known<K, S>>): Spill {
    const latest = this.latestTime;
    const before = latest === undefined ? undefined : this.snapshots.get(latest);
    if (latest !== undefined && before === undefined) throw new Error(`mapWithState: the state of batch ${latest} is not kept on disk for stateSnapshots()`);
    const spill = new SpillWriter(this.numPartitions);
    try {
      if (before !== undefined) {
        const rdd = new SpillRDD<K, S>(this.numPartitions, 'stateSnapshots', () => before);
        for (let i = 0; i < this.numPartitions; i++) rdd.iteratePartition(i, ([k, s]) => void (mine.has(codeOf(k)) || spill.put(k, s)));
      }
      for (const change of mine.values()) if (change.value !== undefined) spill.put(change.key, change.value[0]);
    } catch (err) {
      spill.abandon();
      throw err;
    }
    return spill.finish();
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
      const pairs = initial === undefined ? [] : initialPairsOf(initial, 'mapWithState');
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
          if (!isPair(kv)) refuseNonPair('mapWithState', kv);
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

    // With a timeout: the read's keys this batch looked at, the index entries found stale, whether it timed out the keys legacyFrom covered.
    const read = timeout !== undefined && this.idleRead?.done === true ? this.idleRead : undefined;
    const idle = new Map<unknown, IdleKey<K>>();
    const stale: Array<[number, K]> = [];
    let legacyDone = false;
    if (timeout !== undefined) {
      // Keys whose last write is older than the threshold time out (Spark: updateTime < batchTime - timeout):
      // those the idle index listed (the latest read, done), and those written by commits that may not be in it yet.
      const threshold = time - timeout;
      const legacyFrom = this.legacyDoneAt === undefined ? this.legacyFrom : undefined;
      legacyDone = legacyFrom !== undefined && read?.legacy === true && threshold > legacyFrom;
      if (read !== undefined) for (const [code, c] of read.keys) if (c.time < threshold) idle.set(code, c);
      for (const [code, known] of this.changes.unsettled) {
        if (known.value !== undefined && !idle.has(code) && this.lastWrite(known.value[1]) < threshold) idle.set(code, { key: known.key, time: known.value[1] });
      }
      for (const [code, c] of idle) {
        const k = c.key;
        const known = this.lookup(code, k, mine);
        if (c.indexed !== undefined) for (const at of c.indexed) if (known?.value === undefined || known.value[1] !== at) stale.push([at, k]);
        if (known?.value === undefined || known.time === time || this.lastWrite(known.value[1]) >= threshold) continue; // removed, or written since
        state.wrapTimingOut(known.value[0]);
        const result = fn(time, k, undefined, state);
        mine.set(code, { key: k, value: undefined, time, prev: known.value[1] });
        added--;
        const p = n === 1 ? 0 : hashKey(typeof k === 'object' && k !== null ? (code as string).slice(1) : k) % n;
        if (result !== undefined || keepUndefined) mapped[p]!.push(result as M);
      }
    }

    // Every function call succeeded: the whole state after the batch, for stateSnapshots() (a failure here fails the batch too).
    const spill = this.snapshotsWanted ? this.spillAfter(mine) : undefined;

    // Commit.
    const keys: K[] = [];
    const entries: (Known<K, S> | undefined)[] = [];
    for (const [code, known] of mine) {
      this.keepHot(code, known);
      keys.push(known.key);
      entries.push(known.value === undefined ? undefined : known);
    }
    this.changes.record(time, mine);
    this.keysOnDisk += added;
    this.keysAfter.set(time, this.keysOnDisk);
    if (spill !== undefined) this.snapshots.set(time, spill);
    if (timeout !== undefined) {
      if (read !== undefined) for (const code of idle.keys()) read.keys.delete(code);
      if (stale.length > 0) this.staleIdle.set(time, stale);
      if (legacyDone) this.legacyDoneAt = time;
      // The next batch's idle keys, read while this one's outputs run (or before its generation).
      this.startRead(time);
    }
    this.publishChanges(time, keys, entries, (e) => e.value![0]);
    const leaves = NO_LEAVES as unknown as LeafView<K, S>;
    return mapped.map((m) => ({ state: leaves, mapped: m }));
  }

  /** The changes of the batches up to `time` not yet taken, key by key (the store is the state: `full` adds nothing). */
  checkpointDelta(time: number, _full: boolean): StreamCheckpoint | undefined {
    if (this.latestTime === undefined || time > this.latestTime) return undefined;
    const stamps = this.spec.getTimeout() !== undefined;
    const idleDeletes: Array<[number, unknown]> = [];
    for (const [t, stale] of this.staleIdle) {
      if (t > time) break;
      if (stamps) idleDeletes.push(...stale);
      this.staleIdle.delete(t);
    }
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
    let keysNow = this.keysOnDisk;
    for (const [t, n] of this.keysAfter) {
      if (t > time) break;
      keysNow = n;
      this.keysAfter.delete(t);
    }
    // `idle`: the index has every key (true), none kept (false, no timeout), or every key written since that batch (legacyFrom).
    const legacy = this.legacyFrom !== undefined && (this.legacyDoneAt === undefined || time < this.legacyDoneAt);
    return { state, ...this.checkpointMeta({ keys: keysNow, idle: stamps ? (legacy ? this.legacyFrom : true) : false }) };
  }

  /** The commit holding the changes of the batches up to `time` is written: the store's reads return them. */
  checkpointWritten(time: number): void {
    this.changes.settle(time);
  }

  /**
   * Nothing is loaded: the keys stay in the store. With a timeout, the first batch's idle keys are
   * read (and, when the index was not kept — no timeout before — every key counts as written at
   * the restored batch); with stateSnapshots(), the restored state is spilled: a batch generated at
   * once (a `transform` reading the state) advances without waiting.
   */
  async restoreCheckpoint(saved: SavedStreamCheckpoint): Promise<void> {
    this.hot.clear();
    this.warm.clear();
    this.changes.reset();
    this.idleRead = undefined;
    this.staleIdle.clear();
    this.keysAfter.clear();
    for (const spill of this.snapshots.values()) spill.remove();
    this.snapshots.clear();
    this.legacyFrom = undefined;
    this.legacyDoneAt = undefined;
    if (this.spec.getTimeout() !== undefined) {
      const idle = (saved.meta as { idle?: unknown } | null | undefined)?.idle;
      // A checkpoint from before the meta said (undefined): an empty index beside stored keys was not kept.
      if (typeof idle === 'number') this.legacyFrom = idle;
      else if (idle === false || (idle === undefined && this.keysOnDisk > 0 && (await this.indexIsEmpty()))) this.legacyFrom = saved.time;
    }
    this.restoredAt(
      saved.time,
      Array.from({ length: this.numPartitions }, () => ({ state: NO_LEAVES as unknown as LeafView<K, S>, mapped: [] as M[] })),
      saved.meta,
    );
    if (this.snapshotsWanted) this.snapshots.set(saved.time, await this.spillState());
    // A failed read is the first batch's to report (it reads again).
    if (this.spec.getTimeout() !== undefined) await this.startRead(saved.time).settled;
  }

  private async indexIsEmpty(): Promise<boolean> {
    for await (const flat of this.openReader().idleBefore(Number.MAX_SAFE_INTEGER, 1)) if (flat.length > 0) return false;
    return true;
  }
}
