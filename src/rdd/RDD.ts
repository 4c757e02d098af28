/**
 * The RDD: one batch's in-memory, partitioned collection. Over 400 lines on purpose: it is one
 * class, Spark's RDD API (narrow and wide transformations, actions) on one lazy narrow-chain
 * core and the few RDD kinds that core is made of, and every method is a few lines over that
 * core or a delegation. The bodies live elsewhere, each module holding one kind and loading
 * nothing of this file (they read an RDD through partitioned.ts's interface): actions.ts (the
 * actions), byKey.ts (pair shuffles), setOps.ts (two-RDD operations), sampling.ts, textFiles.ts;
 * key handling in keys.ts, ordering in compare.ts, argument checks in checks.ts.
 */
import * as actions from './actions.js';
import { cogroupPartitions, combinePerPartition, cross, partitionByKey } from './byKey.js';
import { checkPartitions } from './checks.js';
import { compareValues, sortedBy } from './compare.js';
import { PairTable } from './PairTable.js';
import { sliceArray, type KeyOf, type Push, type ValueOf } from './partitioned.js';
import { samplePartition, sampleSeed, takeSample } from './sampling.js';
import { checkZippable, crossInto, intersect, subtractBy, zipInto } from './setOps.js';
import { bindStage, type NarrowOp, type NarrowOpKind, type SinkKind } from './stage.js';
import { saveAsTextFile } from './textFiles.js';
import { copyOfZero } from './zero.js';
import { appendAll } from '../util/appendAll.js';

export { sliceArray, type Push } from './partitioned.js';

/**
 * One batch's collection: a fixed number of in-memory partitions, computed lazily.
 * Element-wise transformations (map, filter, flatMap, mapValues, flatMapValues) chain into a
 * fused stage (stage.ts): one generated loop per partition from the stage's source — the
 * nearest RDD that holds or produces whole partitions (an input, a shuffle's result, a cached
 * or opaque RDD) — straight into the consumer, a shuffle's combining table included. Wide
 * transformations (reduceByKey, join, …) combine on first use. `cache()` keeps computed
 * partitions for reuse and ends a stage there.
 */
export abstract class RDD<T> {
  abstract readonly numPartitions: number;
  private cached: (T[] | undefined)[] | undefined;

  /** Push every element of partition `i`, in order. */
  protected abstract compute(i: number, push: Push<T>): void;

  // ---- construction --------------------------------------------------------------------

  static fromArray<T>(data: readonly T[], numSlices = 1): RDD<T> {
    return new ParallelCollectionRDD(sliceArray(data, numSlices));
  }

  static fromPartitions<T>(partitions: T[][]): RDD<T> {
    return new ParallelCollectionRDD(partitions);
  }

  static empty<T>(): RDD<T> {
    return new ParallelCollectionRDD<T>([]);
  }

  /**
   * An RDD whose partitions are produced by `produce` on first use (for results that need a
   * whole pass), either as arrays or as something that lays them out only when they are read.
   */
  static deferred<T>(numPartitions: number, produce: () => T[][] | Sized<T>): RDD<T> {
    return new DeferredRDD(numPartitions, produce);
  }

  // ---- partitions ----------------------------------------------------------------------

  getNumPartitions(): number {
    return this.numPartitions;
  }

  iteratePartition(i: number, push: Push<T>): void {
    const cached = this.cached;
    if (cached === undefined) return this.compute(i, push);
    const part = (cached[i] ??= this.materialize(i));
    for (let j = 0; j < part.length; j++) push(part[j] as T);
  }

  /**
   * Partition `i`'s array when this RDD already holds one (its source data, a shuffle's
   * result, its cache — computed on first use), for reading only; undefined when the
   * partition is only produced element by element. Fused stages loop over it directly.
   */
  readPartition(i: number): readonly T[] | undefined {
    const cached = this.cached;
    return cached === undefined ? undefined : (cached[i] ??= this.materialize(i));
  }

  /** Partition `i` as an array (a fresh array unless cached). */
  partition(i: number): T[] {
    if (this.cached) return (this.cached[i] ??= this.materialize(i));
    return this.materialize(i);
  }

  /** Partition `i` as an array the caller may keep or change: never the cache's own array. */
  private ownPartition(i: number): T[] {
    return this.cached ? this.partition(i).slice() : this.partition(i);
  }

  private materialize(i: number): T[] {
    const out: T[] = [];
    this.computeInto(i, out);
    return out;
  }

  /** Append partition `i`'s elements to `out`, in order. */
  protected computeInto(i: number, out: T[]): void {
    this.compute(i, (t) => void out.push(t));
  }

  /** Keep computed partitions in memory so later uses do not recompute (Spark's MEMORY_ONLY). */
  cache(): this {
    this.cached ??= new Array<T[] | undefined>(this.numPartitions);
    return this;
  }

  persist(): this {
    return this.cache();
  }

  unpersist(): this {
    this.cached = undefined;
    return this;
  }

  /**
   * Let go of what this RDD computed and keeps (its cache; a shuffle's table), once the stream
   * that made it forgets it, as Spark unpersists forgotten RDDs. A later read computes it again.
   */
  release(): void {
    this.cached = undefined;
  }

  get isCached(): boolean {
    return this.cached !== undefined;
  }

  // ---- narrow transformations ------------------------------------------------------------

  /** A new RDD with the same partitions whose elements are produced by `stage` from this one's. */
  protected narrow<U>(stage: (i: number, push: Push<U>) => void): RDD<U> {
    return new NarrowRDD<U>(this.numPartitions, stage);
  }

  /** An element-wise step after this RDD, fused into one stage with the steps around it. */
  private pipe<U>(kind: NarrowOpKind, f: (x: never) => unknown): RDD<U> {
    return new PipelinedRDD<U>(this, { kind, f });
  }

  map<U>(f: (t: T) => U): RDD<U> {
    return this.pipe('map', f);
  }

  flatMap<U>(f: (t: T) => Iterable<U>): RDD<U> {
    return this.pipe('flatMap', f);
  }

  filter(f: (t: T) => boolean): RDD<T> {
    return this.pipe('filter', f);
  }

  mapPartitions<U>(f: (it: Iterable<T>) => Iterable<U>): RDD<U> {
    return this.mapPartitionsWithIndex((_, it) => f(it));
  }

  mapPartitionsWithIndex<U>(f: (index: number, it: Iterable<T>) => Iterable<U>): RDD<U> {
    return this.narrow((i, push) => {
      for (const u of f(i, this.ownPartition(i))) push(u);
    });
  }

  glom(): RDD<T[]> {
    return this.narrow((i, push) => push(this.ownPartition(i)));
  }

  /** This RDD's partitions followed by `other`'s. */
  union(other: RDD<T>): RDD<T> {
    return RDD.unionAll([this, other]);
  }

  static unionAll<T>(rdds: readonly RDD<T>[]): RDD<T> {
    const owners: [RDD<T>, number][] = [];
    for (const r of rdds) for (let i = 0; i < r.numPartitions; i++) owners.push([r, i]);
    return new UnionRDD<T>(owners);
  }

  /** Spread the elements, in order, over `numPartitions` (a positive integer) contiguous partitions. */
  repartition(numPartitions: number): RDD<T> {
    const n = checkPartitions(numPartitions, 'repartition');
    return RDD.deferred(n, () => sliceArray(this.collect(), n));
  }

  /** At most `numPartitions` (a positive integer) partitions: never more than this RDD has, as Spark without a shuffle. */
  coalesce(numPartitions: number): RDD<T> {
    return this.repartition(Math.min(checkPartitions(numPartitions, 'coalesce'), Math.max(1, this.numPartitions)));
  }

  /** Sorted by `f` (stable), in contiguous partitions; `numPartitions` 0 gives one, as Spark's RangePartitioner. */
  sortBy<U>(f: (t: T) => U, ascending = true, numPartitions = this.numPartitions): RDD<T> {
    const n = numPartitions === 0 ? 1 : checkPartitions(numPartitions, 'sortBy');
    return RDD.deferred(n, () => sliceArray(sortedBy(this.collect(), f, ascending), n));
  }

  distinct(numPartitions?: number): RDD<T> {
    return this.map((t): [T, null] => [t, null])
      .reduceByKey((a) => a, numPartitions)
      .map((kv) => kv[0]);
  }

  /** Each element paired with its key `f(t)`: `[f(t), t]`. */
  keyBy<K>(f: (t: T) => K): RDD<[K, T]> {
    return this.map((t): [K, T] => [f(t), t]);
  }

  /** Spark's zip: the elements of both at the same positions; the same partition count and sizes are required. */
  zip<U>(other: RDD<U>): RDD<[T, U]> {
    checkZippable(this, other);
    return this.narrow((i, push) => zipInto(this.partition(i), other.partition(i), push));
  }

  /** Every pair `[t, u]`, in `numPartitions × other.numPartitions` partitions (Spark's CartesianRDD). */
  cartesian<U>(other: RDD<U>): RDD<[T, U]> {
    const m = other.numPartitions;
    return new NarrowRDD<[T, U]>(this.numPartitions * m, (i, push) =>
      crossInto(this.partition(Math.floor(i / m)), other.partition(i % m), push),
    );
  }

  /** The elements not in `other` (by value; duplicates kept), hash-partitioned (default: this RDD's count). */
  subtract(other: RDD<T>, numPartitions?: number): RDD<T> {
    const n = checkPartitions(numPartitions ?? Math.max(this.numPartitions, 1), 'subtract');
    return RDD.deferred(n, () => subtractBy(this, identity, other, identity, n));
  }

  /** The distinct elements in both (by value), hash-partitioned (default: the larger partition count). */
  intersection(other: RDD<T>, numPartitions?: number): RDD<T> {
    const n = checkPartitions(numPartitions ?? Math.max(this.numPartitions, other.numPartitions, 1), 'intersection');
    return RDD.deferred(n, () => intersect(this, other, n));
  }

  /** Spark's sample: each element kept with probability `fraction`, or `Poisson(fraction)` times with replacement. */
  sample(withReplacement: boolean, fraction: number, seed?: number): RDD<T> {
    const s = sampleSeed(withReplacement, fraction, seed);
    return this.narrow((i, push) => samplePartition(this, i, withReplacement, fraction, s, push));
  }

  zipWithIndex(): RDD<[T, number]> {
    return RDD.deferred(this.numPartitions, () => {
      let n = 0;
      const parts: [T, number][][] = [];
      for (let i = 0; i < this.numPartitions; i++) parts.push(this.partition(i).map((t) => [t, n++]));
      return parts;
    });
  }

  // ---- pair transformations (where T is [K, V]) -------------------------------------------

  mapValues<K, V, W>(this: RDD<[K, V]>, f: (v: V) => W): RDD<[K, W]> {
    return this.pipe('mapValues', f);
  }

  flatMapValues<K, V, W>(this: RDD<[K, V]>, f: (v: V) => Iterable<W>): RDD<[K, W]> {
    return this.pipe('flatMapValues', f);
  }

  keys<K, V>(this: RDD<[K, V]>): RDD<K> {
    return this.map((kv) => kv[0]);
  }

  values<K, V>(this: RDD<[K, V]>): RDD<V> {
    return this.map((kv) => kv[1]);
  }

  /**
   * Spark's combineByKey: `create` starts a key's combiner from its first value and
   * `mergeValue` folds further values in. Everything runs in this one process, so the values
   * of all partitions fold into one table (Spark would merge per-partition combiners with
   * `mergeCombiners`; for consistent functions the result is the same, at half the work).
   * The result is hash-partitioned by key into `numPartitions` (default: this RDD's count).
   */
  combineByKey<K, V, C>(
    this: RDD<[K, V]>,
    create: (v: V) => C,
    mergeValue: (c: C, v: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    numPartitions?: number,
  ): RDD<[K, C]> {
    return this.combineByKeyAs('combineByKey', create, mergeValue, mergeCombiners, numPartitions);
  }

  /**
   * @internal combineByKey under the name of the operation the user called (reduceByKey, groupByKey, a
   * stream's): its errors (a bad partition count, an element that is not a pair) name that one.
   */
  combineByKeyAs<K, V, C>(
    this: RDD<[K, V]>,
    operation: string,
    create: (v: V) => C,
    mergeValue: (c: C, v: V) => C,
    _mergeCombiners: (a: C, b: C) => C,
    numPartitions?: number,
  ): RDD<[K, C]> {
    const n = checkPartitions(numPartitions ?? Math.max(this.numPartitions, 1), operation);
    return RDD.deferred(n, () => {
      const done = takeCombined(this, create, mergeValue, _mergeCombiners, n);
      if (done !== undefined) return done as [K, C][][];
      const table = new PairTable<K, C>(n);
      const sink = table.sink(create, mergeValue, operation);
      for (let p = 0; p < this.numPartitions; p++) runStage(this, p, 'fold', sink, false);
      return table;
    });
  }

  reduceByKey<K, V>(this: RDD<[K, V]>, f: (a: V, b: V) => V, numPartitions?: number): RDD<[K, V]> {
    return this.combineByKeyAs('reduceByKey', (v) => v, f, f, numPartitions);
  }

  groupByKey<K, V>(this: RDD<[K, V]>, numPartitions?: number): RDD<[K, V[]]> {
    return this.combineByKeyAs<K, V, V[]>(
      'groupByKey',
      (v) => [v],
      (c, v) => (c.push(v), c),
      appendAll,
      numPartitions,
    );
  }

  /**
   * Spark's foldByKey: in each partition a key folds from its own copy of `zero` (which `f` may
   * change in place), then the partitions' results fold with `f`: 'a' with 1 and 2 in two
   * partitions, foldByKey(1, +) gives (1+1)+(1+2) = 5.
   */
  foldByKey<K, V>(this: RDD<[K, V]>, zero: V, f: (a: V, b: V) => V, numPartitions?: number): RDD<[K, V]> {
    return this.aggregateByKeyAs('foldByKey', zero, f, f, numPartitions);
  }

  /** Spark's aggregateByKey: per partition, a key's values fold into a copy of `zero` with `seqOp`; `combOp` merges partitions. */
  aggregateByKey<U, K = KeyOf<T>, V = ValueOf<T>>(
    this: RDD<[K, V]>,
    zero: U,
    seqOp: (acc: U, v: V) => U,
    combOp: (a: U, b: U) => U,
    numPartitions?: number,
  ): RDD<[K, U]> {
    return this.aggregateByKeyAs('aggregateByKey', zero, seqOp, combOp, numPartitions);
  }

  /** aggregateByKey for `operation` (foldByKey), which its errors name. */
  private aggregateByKeyAs<U, K, V>(
    this: RDD<[K, V]>,
    operation: string,
    zero: U,
    seqOp: (acc: U, v: V) => U,
    combOp: (a: U, b: U) => U,
    numPartitions: number | undefined,
  ): RDD<[K, U]> {
    const n = checkPartitions(numPartitions ?? Math.max(this.numPartitions, 1), operation);
    const create = (v: V): U => seqOp(copyOfZero(zero), v);
    return RDD.deferred(n, () => combinePerPartition(this, create, seqOp, combOp, n, operation));
  }

  /** Sorted by key (stable), in contiguous partitions (default: this RDD's count). */
  sortByKey<K = KeyOf<T>, V = ValueOf<T>>(this: RDD<[K, V]>, ascending = true, numPartitions = this.numPartitions): RDD<[K, V]> {
    return this.sortBy((kv) => kv[0], ascending, numPartitions);
  }

  /** The pairs whose key (by value) is no key of `other`, hash-partitioned (default: this RDD's count). */
  subtractByKey<W, K = KeyOf<T>, V = ValueOf<T>>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: number): RDD<[K, V]> {
    const n = checkPartitions(numPartitions ?? Math.max(this.numPartitions, 1), 'subtractByKey');
    return RDD.deferred(n, () => subtractBy(this, keyOfPair, other, keyOfPair, n));
  }

  /** Hash-partition the pairs by key, keeping each partition's arrival order. */
  partitionBy<K, V>(this: RDD<[K, V]>, numPartitions: number): RDD<[K, V]> {
    const n = checkPartitions(numPartitions, 'partitionBy');
    return RDD.deferred(n, () => partitionByKey(this, n));
  }

  /** For each key in either RDD, all its values from each: `[K, [V[], W[]]]`. */
  cogroup<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: number): RDD<[K, [V[], W[]]]> {
    return this.cogroupAs('cogroup', other, numPartitions);
  }

  /** cogroup for `operation` (a join), which its errors name. */
  private cogroupAs<K, V, W>(this: RDD<[K, V]>, operation: string, other: RDD<[K, W]>, numPartitions?: number): RDD<[K, [V[], W[]]]> {
    const n = checkPartitions(numPartitions ?? Math.max(this.numPartitions, other.numPartitions, 1), operation);
    return RDD.deferred(n, () => cogroupPartitions(this, other, n, operation));
  }

  join<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: number): RDD<[K, [V, W]]> {
    return this.cogroupAs('join', other, numPartitions).flatMapValues(([vs, ws]) => cross(vs, ws));
  }

  leftOuterJoin<K, V, W>(
    this: RDD<[K, V]>,
    other: RDD<[K, W]>,
    numPartitions?: number,
  ): RDD<[K, [V, W | undefined]]> {
    return this.cogroupAs('leftOuterJoin', other, numPartitions).flatMapValues(([vs, ws]) =>
      cross<V, W | undefined>(vs, ws.length ? ws : [undefined]),
    );
  }

  rightOuterJoin<K, V, W>(
    this: RDD<[K, V]>,
    other: RDD<[K, W]>,
    numPartitions?: number,
  ): RDD<[K, [V | undefined, W]]> {
    return this.cogroupAs('rightOuterJoin', other, numPartitions).flatMapValues(([vs, ws]) =>
      cross<V | undefined, W>(vs.length ? vs : [undefined], ws),
    );
  }

  fullOuterJoin<K, V, W>(
    this: RDD<[K, V]>,
    other: RDD<[K, W]>,
    numPartitions?: number,
  ): RDD<[K, [V | undefined, W | undefined]]> {
    return this.cogroupAs('fullOuterJoin', other, numPartitions).flatMapValues(([vs, ws]) =>
      cross<V | undefined, W | undefined>(vs.length ? vs : [undefined], ws.length ? ws : [undefined]),
    );
  }

  // ---- actions -------------------------------------------------------------------------

  collect(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.numPartitions; i++) this.iteratePartition(i, (t) => void out.push(t));
    return out;
  }

  count(): number {
    let n = 0;
    for (let i = 0; i < this.numPartitions; i++) this.iteratePartition(i, () => void n++);
    return n;
  }

  /** The first `n` elements (an integer; [] for n <= 0), partitions in order. */
  take(n: number): T[] {
    return actions.take(this, n);
  }

  first(): T {
    const head = this.take(1);
    if (head.length === 0) throw new Error('first(): empty collection');
    return head[0] as T;
  }

  isEmpty(): boolean {
    for (let i = 0; i < this.numPartitions; i++) if (this.partition(i).length > 0) return false;
    return true;
  }

  reduce(f: (a: T, b: T) => T): T {
    return actions.reduceNonEmpty(this, f, 'reduce');
  }

  /** The elements reduced with `f` in one pass, as a one-element array; empty for an empty RDD. */
  reduceAll(f: (a: T, b: T) => T): [T] | [] {
    return actions.reduceAll(this, f);
  }

  /** Spark's fold: each partition folds from its own copy of `zero`, then the results fold from another copy. */
  fold(zero: T, f: (a: T, b: T) => T): T {
    return actions.aggregate(this, zero, f, f);
  }

  /** Spark's aggregate: each partition folds into a copy of `zero` with `seqOp`; `combOp` folds the results from another. */
  aggregate<U>(zero: U, seqOp: (acc: U, t: T) => U, combOp: (a: U, b: U) => U): U {
    return actions.aggregate(this, zero, seqOp, combOp);
  }

  /** The `n` largest elements, largest first (by `compare`, default the natural order); [] for n <= 0. */
  top(n: number, compare: (a: T, b: T) => number = compareValues): T[] {
    return actions.smallest(this, n, (a, b) => compare(b, a), 'top');
  }

  /** The `n` smallest elements, smallest first; [] for n <= 0. */
  takeOrdered(n: number, compare: (a: T, b: T) => number = compareValues): T[] {
    return actions.smallest(this, n, compare, 'takeOrdered');
  }

  /** The smallest element (the first of equals); throws "empty collection" for an empty RDD. */
  min(compare: (a: T, b: T) => number = compareValues): T {
    return actions.min(this, compare);
  }

  /** The largest element (the first of equals); throws "empty collection" for an empty RDD. */
  max(compare: (a: T, b: T) => number = compareValues): T {
    return actions.max(this, compare);
  }

  /** The sum; 0 for an empty RDD. */
  sum(this: RDD<number>): number {
    return actions.sum(this);
  }

  /** The arithmetic mean; NaN for an empty RDD. */
  mean(this: RDD<number>): number {
    return actions.mean(this);
  }

  /** Spark's takeSample: `num` random elements (repeats possible with replacement), in random order. */
  takeSample(withReplacement: boolean, num: number, seed?: number): T[] {
    return takeSample(this, withReplacement, num, seed);
  }

  countByValue(): Map<T, number> {
    return actions.countBy(this, identity);
  }

  countByKey<K = KeyOf<T>, V = ValueOf<T>>(this: RDD<[K, V]>): Map<K, number> {
    return actions.countBy(this, keyOfPair);
  }

  /** One entry per key (by value), the last value winning. */
  collectAsMap<K, V>(this: RDD<[K, V]>): Map<K, V> {
    return actions.collectAsMap(this);
  }

  /** Each key's values reduced with `f`, as a Map. */
  reduceByKeyLocally<K = KeyOf<T>, V = ValueOf<T>>(this: RDD<[K, V]>, f: (a: V, b: V) => V): Map<K, V> {
    return actions.reduceByKeyLocally(this, f);
  }

  /** The values of `key` (by value), in order. */
  lookup<K = KeyOf<T>, V = ValueOf<T>>(this: RDD<[K, V]>, key: K): V[] {
    return actions.lookup(this, key);
  }

  /** Spark's layout: a new directory of part-00000… files, one per partition, one element per line, and _SUCCESS. */
  saveAsTextFile(path: string): Promise<void> {
    return saveAsTextFile(this, path);
  }

  /**
   * Runs `f` on each element; when `f` is async the returned promise settles once all have. Inside
   * a foreachRDD the batch waits for them either way, and fails with them (Spark's blocking action).
   */
  foreach(f: (t: T) => void | Promise<unknown>): void | Promise<void> {
    return actions.forEachElementOf(this, f);
  }

  /** Runs `f` on each partition; when `f` is async the returned promise settles once all have (and the batch waits, as foreach). */
  foreachPartition(f: (it: T[]) => void | Promise<unknown>): void | Promise<void> {
    return actions.forEachPartition(this.numPartitions, (i) => this.ownPartition(i), f);
  }

  toString(): string {
    return `${this.constructor.name}[${this.numPartitions} partitions]`;
  }
}

/** A result whose size is known before its partitions are laid out (a shuffle's PairTable, a queued array). */
export interface Sized<T> {
  readonly size: number;
  partitions(): T[][];
}

/** A shuffle of an RDD combined before its turn, elsewhere (the worker pool), or the error that stopped it. */
export type CombinedShuffle = {
  create: unknown;
  mergeValue: unknown;
  mergeCombiners: unknown;
  numPartitions: number;
} & ({ partitions: unknown[][] } | { error: unknown });

/**
 * The results provided for each RDD, one per shuffle of it: several shuffles of one stream (a
 * reduceByKey and a groupByKey of the same pairs) each find their own, by their functions and
 * partition count.
 */
const combinedElsewhere = new WeakMap<RDD<unknown>, CombinedShuffle[]>();

/**
 * Hand `combineByKey(create, mergeValue, mergeCombiners, numPartitions)` of `rdd` its result
 * computed elsewhere: its next call with the same functions and partition count returns those
 * partitions (or throws that error, where the shuffle would have run) instead of combining. Two
 * shuffles with the same functions get one result each (a result is taken by the call that
 * returns it; an error stays, for every call).
 */
export function provideCombined(rdd: RDD<unknown>, result: CombinedShuffle): void {
  const results = combinedElsewhere.get(rdd);
  if (results === undefined) combinedElsewhere.set(rdd, [result]);
  else results.push(result);
}

/** The partitions provided for this shuffle of `rdd` (taken), or undefined; throws the error provided for it. */
function takeCombined(rdd: RDD<unknown>, create: unknown, mergeValue: unknown, mergeCombiners: unknown, n: number): unknown[][] | undefined {
  const results = combinedElsewhere.get(rdd);
  if (results === undefined) return undefined;
  const i = results.findIndex(
    (r) => r.create === create && r.mergeValue === mergeValue && r.mergeCombiners === mergeCombiners && r.numPartitions === n,
  );
  if (i === -1) return undefined;
  const done = results[i]!;
  if ('error' in done) throw done.error;
  results.splice(i, 1);
  if (results.length === 0) combinedElsewhere.delete(rdd);
  return done.partitions;
}

/**
 * Run partition `i` of `rdd` into a sink, fused with the element-wise steps before it: the
 * stage starts at the nearest RDD that is not such a step or is cached, and loops over that
 * one's partition array when it has one.
 */
function runStage(rdd: RDD<unknown>, i: number, sinkKind: SinkKind, sink: unknown, computing = true): void {
  const ops: NarrowOp[] = [];
  let source = rdd;
  // Computing `rdd`'s own partition (filling its cache, say), its step runs even when it is cached;
  // a stage that reads `rdd` (a shuffle's map side) starts at its cache.
  while (source instanceof PipelinedRDD && ((computing && source === rdd) || !source.isCached)) {
    ops.push(source.op);
    source = source.parent;
  }
  ops.reverse();
  const stage = bindStage(ops, sinkKind, sink);
  const array = source.readPartition(i);
  if (array !== undefined) stage.all(array);
  else source.iteratePartition(i, stage.one);
}

const identity = <X>(x: X): X => x;
const keyOfPair = <K>(kv: readonly [K, unknown]): K => kv[0];

/** Partitions held in memory from the start (queueStream's arrays, collected results). */
class ParallelCollectionRDD<T> extends RDD<T> {
  readonly numPartitions: number;
  constructor(private readonly parts: readonly (readonly T[])[]) {
    super();
    this.numPartitions = parts.length;
  }
  protected compute(i: number, push: Push<T>): void {
    const part = this.parts[i]!;
    for (let j = 0; j < part.length; j++) push(part[j] as T);
  }
  override count(): number {
    return this.parts.reduce((n, part) => n + part.length, 0);
  }
  override partition(i: number): T[] {
    return this.isCached ? super.partition(i) : this.parts[i]!.slice();
  }
  override readPartition(i: number): readonly T[] {
    return this.parts[i]!;
  }
}

/** One element-wise step (map, flatMap, filter, …) after `parent`; runs fused with its neighbours (runStage). */
class PipelinedRDD<T> extends RDD<T> {
  readonly numPartitions: number;
  constructor(
    readonly parent: RDD<unknown>,
    readonly op: NarrowOp,
  ) {
    super();
    this.numPartitions = parent.numPartitions;
  }
  protected compute(i: number, push: Push<T>): void {
    runStage(this, i, 'push', push);
  }
  protected override computeInto(i: number, out: T[]): void {
    runStage(this, i, 'array', out);
  }
}

/** A narrow step: partition i is a function of the parent's partition i, computed on demand. */
class NarrowRDD<T> extends RDD<T> {
  constructor(
    readonly numPartitions: number,
    private readonly stage: (i: number, push: Push<T>) => void,
  ) {
    super();
  }
  protected compute(i: number, push: Push<T>): void {
    this.stage(i, push);
  }
}

/** The partitions of several RDDs one after another; a stage after it reads each owner's partition directly. */
class UnionRDD<T> extends RDD<T> {
  readonly numPartitions: number;
  constructor(private readonly owners: readonly (readonly [RDD<T>, number])[]) {
    super();
    this.numPartitions = owners.length;
  }
  protected compute(i: number, push: Push<T>): void {
    const [r, j] = this.owners[i]!;
    r.iteratePartition(j, push);
  }
  override readPartition(i: number): readonly T[] | undefined {
    if (this.isCached) return super.readPartition(i);
    const [r, j] = this.owners[i]!;
    return r.readPartition(j);
  }
}

/**
 * A result that needs a whole pass over its parents (shuffles, sorts): produced once, on first
 * use. A Sized result (a shuffle's table) is laid out in partitions only when one is read:
 * counting it does not.
 */
class DeferredRDD<T> extends RDD<T> {
  private result: T[][] | Sized<T> | undefined;
  constructor(
    readonly numPartitions: number,
    private readonly produce: () => T[][] | Sized<T>,
  ) {
    super();
  }
  /** Its partitions, once produced, are kept already: caching them again would only copy them. */
  override cache(): this {
    return this;
  }

  protected compute(i: number, push: Push<T>): void {
    const part = this.readPartition(i);
    for (let j = 0; j < part.length; j++) push(part[j] as T);
  }
  override readPartition(i: number): readonly T[] {
    let parts = (this.result ??= this.produce());
    if (!Array.isArray(parts)) this.result = parts = parts.partitions();
    return parts[i] ?? [];
  }
  override release(): void {
    this.result = undefined;
  }
  override count(): number {
    const result = (this.result ??= this.produce());
    return Array.isArray(result) ? result.reduce((n, part) => n + part.length, 0) : result.size;
  }
}
