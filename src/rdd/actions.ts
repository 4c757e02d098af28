/**
 * The bodies of the RDD's actions: the results a program gets back from a whole RDD (reductions,
 * folds, statistics, the first or smallest elements, counts and maps by value). Spark's
 * semantics: a fold starts each partition from its own copy of the zero and then folds the
 * partitions' results from the zero again; keys compare by value (KeyMap).
 */
import { checkCount } from './checks.js';
import { allStarted, registerJobWork } from './jobWork.js';
import { KeyMap } from './keys.js';
import { collectAll, forEachElement, type Partitioned } from './partitioned.js';
import { copyOfZero } from './zero.js';
import { isThenable } from '../util/thenable.js';

/** The elements reduced with `f` in one pass, as a one-element array; empty for an empty RDD. */
export function reduceAll<T>(rdd: Partitioned<T>, f: (a: T, b: T) => T): [T] | [] {
  let acc: T | undefined;
  let seen = false;
  forEachElement(rdd, (t) => {
    acc = seen ? f(acc as T, t) : t;
    seen = true;
  });
  return seen ? [acc as T] : [];
}

/** `reduce`, `min`, `max`: Spark's UnsupportedOperationException("empty collection") for an empty RDD. */
export function reduceNonEmpty<T>(rdd: Partitioned<T>, f: (a: T, b: T) => T, method: string): T {
  const reduced = reduceAll(rdd, f);
  if (reduced.length === 0) throw new Error(`${method}(): empty collection`);
  return reduced[0];
}

export function min<T>(rdd: Partitioned<T>, compare: (a: T, b: T) => number): T {
  return reduceNonEmpty(rdd, (a, b) => (compare(a, b) <= 0 ? a : b), 'min');
}

export function max<T>(rdd: Partitioned<T>, compare: (a: T, b: T) => number): T {
  return reduceNonEmpty(rdd, (a, b) => (compare(a, b) >= 0 ? a : b), 'max');
}

/** Spark's aggregate: each partition folds from a copy of `zero` with `seqOp`; `combOp` folds the results from another copy. */
export function aggregate<T, U>(rdd: Partitioned<T>, zero: U, seqOp: (acc: U, t: T) => U, combOp: (a: U, b: U) => U): U {
  let result = copyOfZero(zero);
  for (let i = 0; i < rdd.numPartitions; i++) {
    let acc = copyOfZero(zero);
    rdd.iteratePartition(i, (t) => void (acc = seqOp(acc, t)));
    result = combOp(result, acc);
  }
  return result;
}

export function sum(rdd: Partitioned<number>): number {
  let total = 0;
  forEachElement(rdd, (x) => void (total += x));
  return total;
}

/** The arithmetic mean; NaN for an empty RDD (Spark's StatCounter). */
export function mean(rdd: Partitioned<number>): number {
  let total = 0;
  let n = 0;
  forEachElement(rdd, (x) => void ((total += x), n++));
  return n === 0 ? NaN : total / n;
}

/** The first `n` elements, partitions in order; [] for n <= 0. */
export function take<T>(rdd: Partitioned<T>, n: number): T[] {
  // As PySpark's loop (while fewer than n are taken): take(2.5) gives 3, take(Infinity) all, NaN none.
  const out: T[] = [];
  for (let i = 0; i < rdd.numPartitions && out.length < n; i++) {
    const part = rdd.partition(i);
    for (let j = 0; j < part.length && out.length < n; j++) out.push(part[j] as T);
  }
  return out;
}

/** The `n` smallest elements by `compare`, smallest first (`takeOrdered`; `top` with the order reversed); [] for n <= 0. */
export function smallest<T>(rdd: Partitioned<T>, n: number, compare: (a: T, b: T) => number, method: string): T[] {
  checkCount(n, method);
  if (n <= 0) return [];
  const all = collectAll(rdd).sort(compare);
  if (all.length > n) all.length = n;
  return all;
}

/** How many times each key occurs (`countByValue`, `countByKey`), keys by value. */
export function countBy<T, K>(rdd: Partitioned<T>, keyOf: (t: T) => K): Map<K, number> {
  const counts = new KeyMap<K, number>();
  forEachElement(rdd, (t) => void counts.entryOrInit(keyOf(t), () => 0).value++);
  return new Map(counts.pairs());
}

/** One entry per key by value, the last value winning (Spark's collectAsMap). */
export function collectAsMap<K, V>(rdd: Partitioned<[K, V]>): Map<K, V> {
  const map = new KeyMap<K, V>();
  forEachElement(rdd, (kv) => void map.set(kv[0], kv[1]));
  return new Map(map.pairs());
}

/** Each key's values reduced with `f`, returned as a Map (Spark's reduceByKeyLocally). */
export function reduceByKeyLocally<K, V>(rdd: Partitioned<[K, V]>, f: (a: V, b: V) => V): Map<K, V> {
  const map = new KeyMap<K, V>();
  forEachElement(rdd, (kv) => map.fold(kv[0], kv[1], same, f));
  return new Map(map.pairs());
}

/** The values of `key` (by value), in order. */
export function lookup<K, V>(rdd: Partitioned<[K, V]>, key: K): V[] {
  const wanted = new KeyMap<K, true>().set(key, true);
  const out: V[] = [];
  forEachElement(rdd, (kv) => void (wanted.has(kv[0]) && out.push(kv[1])));
  return out;
}

const same = <V>(v: V): V => v;

/**
 * Runs `f` on each partition (`partition(i)`, an array `f` may keep); when `f` is async the
 * returned promise settles once all have, and inside an output operation the job waits for them
 * too (jobWork.ts). A partition that throws stops the loop at once.
 */
export function forEachPartition<T>(
  numPartitions: number,
  partition: (i: number) => T[],
  f: (it: T[]) => void | Promise<unknown>,
): void | Promise<void> {
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < numPartitions; i++) started(f(partition(i)), pending);
  return allStarted(pending);
}

/** Runs `f` on each element, partitions in order; async as forEachPartition. */
export function forEachElementOf<T>(rdd: Partitioned<T>, f: (t: T) => void | Promise<unknown>): void | Promise<void> {
  const pending: Promise<unknown>[] = [];
  forEachElement(rdd, (t) => started(f(t), pending));
  return allStarted(pending);
}

/** Keeps `r` in `pending` when it is awaitable (any thenable), registered with the job running. */
function started(r: unknown, pending: Promise<unknown>[]): void {
  if (!isThenable(r)) return;
  const p = Promise.resolve(r);
  registerJobWork(p);
  pending.push(p);
}
