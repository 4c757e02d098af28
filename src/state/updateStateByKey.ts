import type { SavedStreamCheckpoint, SnapshotChunk, StreamCheckpoint } from '../dstream/Checkpointable.js';
import { DStream } from '../dstream/DStream.js';
import type { KeyOf, ValueOf } from '../dstream/pairTypes.js';
import { KeyMap, partitionOf } from '../rdd/keys.js';
import type { RDD } from '../rdd/RDD.js';
import { ChangeLog, type Changes } from './ChangeLog.js';
import { cloneState, deepEqual } from './clone.js';
import { DiskStateDStream } from './DiskStateDStream.js';
import { forEachRestored } from './RestoredTable.js';
import { StatefulDStream } from './StatefulDStream.js';
import { checkStateStore, resolveStateStore, type StateStoreOption } from '../dstream/stateStore.js';
import type { UpdateFunction } from './updateFunction.js';
import { synchronous } from './synchronous.js';
import { checkInitialState, checkNumPartitions, initialPairsOf } from './args.js';
import { isPair, refuseNonPair } from '../rdd/checks.js';

export type { UpdateFunction };

export interface UpdateStateByKeyOptions<K, S> {
  /** Partitions of the state (default: the context's parallelism). */
  numPartitions?: number;
  /** The state keys start from. */
  initialRDD?: RDD<[K, S]> | ReadonlyArray<readonly [K, S]>;
  /**
   * Names the state: it is checkpointed under this name, and getOrCreate restores it into a
   * changed graph (see API.md, getOrCreate).
   */
  name?: string;
  /**
   * Where the state lives: `'memory'` (the default) or `'disk'` — one LevelDB entry per key in
   * the checkpoint's store, nothing loaded at restart (docs/state-stores.md). On disk every batch
   * still offers every key to `update`, reading the store as it goes.
   */
  stateStore?: StateStoreOption;
}

declare module '../dstream/DStream.js' {
  interface DStream<T> {
    /**
     * Keep a state per key across batches: at every batch `update(values, state)` is called for
     * each key that has new values or a state (values `[]` when none); its result is the key's
     * new state, `undefined` removes the key. Each batch's RDD is the whole state.
     */
    updateStateByKey<S = ValueOf<T>, K = KeyOf<T>, V = ValueOf<T>>(
      this: DStream<[K, V]>,
      update: UpdateFunction<V, S>,
      options?: UpdateStateByKeyOptions<K, S>,
    ): DStream<[K, S]>;
  }
}

type Parts<K, S> = [K, S][][];

/** Marks a key's group of new values as used by an existing state. */
const CONSUMED: unknown[] = [];

/**
 * Spark's StateDStream. A version is the state's partitions (arrays of [key, state] pairs, hash
 * partitioned by key) and is the batch's RDD. Each batch builds new arrays from the previous
 * version: a key whose state did not change keeps its pair object, so the change log — what an
 * incremental checkpoint writes — holds exactly the keys put or removed. Object states are
 * copied before `update` sees them (see clone.ts), so updating in place never alters an earlier
 * batch's RDD. The cost is O(state) per batch, as in Spark: every key is offered to `update`.
 *
 * A version lists the keys it kept in the order of the version before, then the keys it added.
 * Group commit (deferDelta) takes several batches' changes by comparing two versions in that
 * order (changesSince): each key once, O(state) per group, no lookup by key.
 */
export class StateDStream<K, V, S> extends StatefulDStream<[K, S], Parts<K, S>> {
  readonly numPartitions: number;
  private readonly log = new ChangeLog<K, [K, S]>({ diff: (time) => this.changesSince(time) });

  constructor(
    parent: DStream<[K, V]>,
    private readonly updateFunc: UpdateFunction<V, S>,
    numPartitions: number,
    private readonly initial: RDD<[K, S]> | ReadonlyArray<readonly [K, S]> | undefined,
    name?: string,
  ) {
    super(parent as DStream<unknown>, 'updateStateByKey', { name });
    this.numPartitions = checkNumPartitions(numPartitions);
  }

  override get size(): number {
    const v = this.latestTime === undefined ? undefined : this.versions.get(this.latestTime);
    return v ? count(v) : 0;
  }

  protected partitionsOf(version: Parts<K, S>): [K, S][][] {
    return version;
  }

  protected advance(time: number): Parts<K, S> {
    const n = this.numPartitions;
    let prev: Parts<K, S>;
    let initialLoaded = false;
    /** The initial state's pairs, in the order given, when this batch loads them. */
    let initial: Array<[K, S]> | undefined;
    if (this.latestTime === undefined) {
      // A scaled-out job's changelog seeds the initial state per task instead (seedState).
      if (this.loadsInitialState) initial = this.initialInOrder();
      prev = initial === undefined ? Array.from({ length: n }, () => []) : partsOf(initial, n);
      initialLoaded = count(prev) > 0;
    } else {
      prev = this.versions.get(this.latestTime)!;
    }

    // The batch's values, grouped by key within each partition, in arrival order.
    const groups = Array.from({ length: n }, () => new KeyMap<K, V[]>());
    const data = this.input<K, V>(time);
    if (data) {
      for (let i = 0; i < data.numPartitions; i++) {
        data.iteratePartition(i, (kv) => {
          if (!isPair(kv)) refuseNonPair('updateStateByKey', kv);
          const g = groups[partitionOf(kv[0], n)]!.entryOrInit(kv[0], () => []);
          g.value.push(kv[1]);
        });
      }
    }

    const update = this.updateFunc;
    const logKeys: K[] = [];
    const logEntries: ([K, S] | undefined)[] = [];
    const next: Parts<K, S> = [];
    for (let p = 0; p < n; p++) {
      const g = groups[p]!;
      const out: [K, S][] = [];
      for (const pair of prev[p]!) {
        let values: V[] = [];
        if (g.size > 0) {
          const e = g.entry(pair[0]);
          if (e !== undefined) {
            values = e.value;
            e.value = CONSUMED as V[];
          }
        }
        const old = pair[1];
        const s = update(values, cloneState(old));
        if (s === undefined) {
          logKeys.push(pair[0]);
          logEntries.push(undefined);
        } else if (Object.is(s, old) || (typeof s === 'object' && deepEqual(s, old))) {
          out.push(pair);
        } else {
          const changed: [K, S] = [pair[0], s];
          out.push(changed);
          logKeys.push(pair[0]);
          logEntries.push(changed);
        }
      }
      for (const e of g.entries()) {
        if (e.value === CONSUMED) continue;
        const s = update(e.value, undefined);
        if (s === undefined) continue;
        const added: [K, S] = [e.key, s];
        out.push(added);
        logKeys.push(e.key);
        logEntries.push(added);
      }
      next.push(out);
    }

    // Nothing above changed `prev` or the log: only now is the batch committed.
    if (initialLoaded) this.log.requireFull(time);
    this.log.record(time, logKeys, logEntries, count(next), true); // each key is offered once per batch
    if (initialLoaded) {
      // The keys the batch put include the initial state's, which it loaded (unchanged ones too): first, as the disk store lists them.
      const { keys, entries } = withInitial(initial!, logKeys, logEntries);
      this.publishChanges(time, keys, entries, (e) => e[1]);
    } else {
      this.publishChanges(time, logKeys, logEntries, (e) => e[1]);
    }
    return next;
  }

  protected override initialPairs(): ReadonlyArray<readonly [K, S]> {
    return this.initialInOrder();
  }

  /** The initial state's pairs in the order given, each key once (a repeated key: its first place, its last pair), none without a state. */
  private initialInOrder(): Array<[K, S]> {
    if (this.initial === undefined) return [];
    const pairs = initialPairsOf(this.initial, 'updateStateByKey');
    const at = new KeyMap<K, number>();
    const order: Array<[K, S]> = [];
    for (const [k, s] of pairs) {
      const i = at.get(k);
      if (i === undefined) {
        at.set(k, order.length);
        order.push([k, s]);
      } else {
        order[i] = [order[i]![0], s];
      }
    }
    return order.filter((pair) => pair[1] !== undefined);
  }

  // ---- checkpoints ---------------------------------------------------------------------------

  checkpointDelta(time: number, full: boolean): StreamCheckpoint | undefined {
    return this.stateCheckpoint(
      time,
      full,
      this.log,
      (version, put) => {
        for (const part of version) for (const [k, s] of part) put(k, s);
      },
      (entry) => entry[1],
    );
  }

  /** Group commit: the batch's changes go with a later batch's delta (Checkpointable.deferDelta). */
  deferDelta(time: number, check: (key: unknown, value: unknown) => boolean): number | undefined {
    if (!this.mayDefer(time)) return undefined;
    return this.log.hold(time, (k, pair) => check(k, pair[1]));
  }

  protected override heldTime(): number | undefined {
    return this.log.heldTime;
  }

  /** Versions from the last one described on are compared by the next checkpoint (changesSince). */
  protected override keepsVersionsFrom(): number | undefined {
    return this.log.takenAt;
  }

  /**
   * The changes from the version the last checkpoint described to batch `time`'s, each key once
   * (a key removed and added again: its removal, then its put), or undefined when either version
   * is gone. The pairs a version kept are the same objects, in the same order, so one pass over
   * both suffices.
   */
  private changesSince(time: number): Changes<K, [K, S]> | undefined {
    const since = this.log.takenAt;
    const base = since === undefined ? undefined : this.versions.get(since);
    const now = this.versions.get(time);
    if (base === undefined || now === undefined || base.length !== now.length) return undefined;
    const keys: K[] = [];
    const entries: ([K, S] | undefined)[] = [];
    for (let p = 0; p < now.length; p++) {
      const before = base[p]!;
      let i = 0;
      for (const pair of now[p]!) {
        // Keys of `before` up to this pair's were removed (the kept ones come first, in order).
        while (i < before.length && !Object.is(before[i]![0], pair[0])) {
          keys.push(before[i++]![0]);
          entries.push(undefined);
        }
        if (i < before.length && before[i++] === pair) continue; // kept, unchanged
        keys.push(pair[0]);
        entries.push(pair);
      }
      for (; i < before.length; i++) {
        keys.push(before[i]![0]);
        entries.push(undefined);
      }
    }
    return { keys, entries };
  }

  stateSnapshot(time: number, size: number): Iterable<SnapshotChunk> | undefined {
    return this.snapshotOf(time, function* (version) {
      for (const part of version) {
        for (let i = 0; i < part.length; i += size) {
          const piece = part.slice(i, i + size);
          yield { keys: piece.map((e) => e[0]), values: piece.map((e) => e[1]) };
        }
      }
    });
  }

  override stateShape(): string {
    return 'updateStateByKey';
  }

  restoreCheckpoint(saved: SavedStreamCheckpoint): void {
    const n = this.numPartitions;
    const parts: Parts<K, S> = Array.from({ length: n }, () => []);
    if (saved.log !== undefined) {
      forEachRestored(saved.log, n, (k, s, p) => void (s !== undefined && parts[p]!.push([k as K, s as S])));
    } else {
      for (const [k, s] of saved.state) {
        if (s === undefined) continue;
        parts[partitionOf(k, n)]!.push([k as K, s as S]);
      }
    }
    this.log.reset(saved.time);
    this.restoredAt(saved.time, parts, saved.meta);
  }
}

/** Pairs hash partitioned by key, in order within each partition. */
function partsOf<K, S>(pairs: ReadonlyArray<[K, S]>, n: number): Parts<K, S> {
  const parts: Parts<K, S> = Array.from({ length: n }, () => []);
  for (const pair of pairs) parts[partitionOf(pair[0], n)]!.push(pair);
  return parts;
}

/**
 * A first batch's changes as published (onStateChanges): the initial state's keys first, in the
 * order given, as the batch left them (their pair, or undefined when removed), then the batch's
 * other changes.
 */
function withInitial<K, S>(
  initial: ReadonlyArray<[K, S]>,
  keys: readonly K[],
  entries: readonly ([K, S] | undefined)[],
): { keys: K[]; entries: ([K, S] | undefined)[] } {
  const changed = new KeyMap<K, [K, S] | undefined>();
  for (let i = 0; i < keys.length; i++) changed.set(keys[i]!, entries[i]);
  const outKeys: K[] = [];
  const outEntries: ([K, S] | undefined)[] = [];
  const given = new KeyMap<K, true>();
  for (const pair of initial) {
    given.set(pair[0], true);
    const e = changed.entry(pair[0]);
    outKeys.push(pair[0]);
    outEntries.push(e === undefined ? pair : e.value);
  }
  for (let i = 0; i < keys.length; i++) {
    if (given.has(keys[i]!)) continue;
    outKeys.push(keys[i]!);
    outEntries.push(entries[i]);
  }
  return { keys: outKeys, entries: outEntries };
}

function count(parts: readonly (readonly unknown[])[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

const UPDATE_OPTIONS = new Set(['numPartitions', 'initialRDD', 'name', 'stateStore']);

DStream.prototype.updateStateByKey = function <K, V, S>(
  this: DStream<[K, V]>,
  update: UpdateFunction<V, S>,
  options: UpdateStateByKeyOptions<K, S> = {},
): DStream<[K, S]> {
  if (typeof update !== 'function') throw new TypeError('updateStateByKey needs an update function');
  if (options === null || typeof options !== 'object') {
    throw new TypeError('updateStateByKey options must be an object: { numPartitions?, initialRDD?, name?, stateStore? }');
  }
  // A misspelt option (`initialRdd`) would silently start from an empty state.
  const unknown = Object.keys(options).filter((k) => !UPDATE_OPTIONS.has(k));
  if (unknown.length > 0) {
    throw new TypeError(`updateStateByKey: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; the options are numPartitions, initialRDD, name, stateStore`);
  }
  const { numPartitions, initialRDD, name, stateStore } = options;
  if (initialRDD !== undefined) checkInitialState(initialRDD, 'updateStateByKey: initialRDD');
  const n = numPartitions === undefined ? this.graph.defaultParallelism : checkNumPartitions(numPartitions);
  const checked: UpdateFunction<V, S> = (values, state) => synchronous('updateStateByKey', update(values, state));
  if (stateStore !== undefined && resolveStateStore(checkStateStore(stateStore, 'updateStateByKey')).type === 'disk') {
    return new DiskStateDStream(this, checked, n, initialRDD, name);
  }
  return new StateDStream(this, checked, n, initialRDD, name);
};
