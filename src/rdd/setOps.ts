/**
 * The bodies of the RDD's operations on two RDDs: set operations by value (subtract,
 * subtractByKey, intersection — hash-partitioned results, as Spark's), the cartesian product
 * and zip. Elements and keys compare by value (KeyMap).
 */
import { KeyMap, partitionOf } from './keys.js';
import type { Partitioned, Push } from './partitioned.js';

/**
 * The elements of `rdd` whose key (`keyOf`) is no key of `other` (`otherKeyOf`), duplicates kept,
 * hash-partitioned by that key into `n` partitions in arrival order (subtract, subtractByKey).
 */
export function subtractBy<T, O>(
  rdd: Partitioned<T>,
  keyOf: (t: T) => unknown,
  other: Partitioned<O>,
  otherKeyOf: (o: O) => unknown,
  n: number,
): T[][] {
  const drop = new KeyMap<unknown, true>();
  for (let p = 0; p < other.numPartitions; p++) other.iteratePartition(p, (o) => void drop.set(otherKeyOf(o), true));
  const parts: T[][] = Array.from({ length: n }, () => []);
  for (let p = 0; p < rdd.numPartitions; p++) {
    rdd.iteratePartition(p, (t) => {
      const k = keyOf(t);
      if (!drop.has(k)) parts[partitionOf(k, n)]!.push(t);
    });
  }
  return parts;
}

/** The distinct elements found in both RDDs, hash-partitioned into `n` partitions. */
export function intersect<T>(a: Partitioned<T>, b: Partitioned<T>, n: number): T[][] {
  const IN_A = 1;
  const IN_BOTH = 2;
  const seen = new KeyMap<T, number>();
  for (let p = 0; p < a.numPartitions; p++) a.iteratePartition(p, (t) => void seen.entryOrInit(t, () => IN_A));
  for (let p = 0; p < b.numPartitions; p++) {
    b.iteratePartition(p, (t) => {
      const e = seen.entry(t);
      if (e) e.value = IN_BOTH;
    });
  }
  const parts: T[][] = Array.from({ length: n }, () => []);
  seen.forEach((v, t) => void (v === IN_BOTH && parts[partitionOf(t, n)]!.push(t)));
  return parts;
}

/** Every pair of an element of `as` and one of `bs`, `as` outermost (one partition of Spark's CartesianRDD). */
export function crossInto<A, B>(as: readonly A[], bs: readonly B[], push: Push<[A, B]>): void {
  for (let i = 0; i < as.length; i++) for (let j = 0; j < bs.length; j++) push([as[i] as A, bs[j] as B]);
}

/** Spark's zip: both RDDs need the same number of partitions (checked at the call). */
export function checkZippable(a: Partitioned<unknown>, b: Partitioned<unknown>): void {
  if (a.numPartitions !== b.numPartitions) {
    throw new Error(`Can't zip RDDs with unequal numbers of partitions: ${a.numPartitions}, ${b.numPartitions}`);
  }
}

/** One partition of a zip: its partitions need the same number of elements (checked as it is computed). */
export function zipInto<A, B>(as: readonly A[], bs: readonly B[], push: Push<[A, B]>): void {
  if (as.length !== bs.length) throw new Error('Can only zip RDDs with same number of elements in each partition');
  for (let i = 0; i < as.length; i++) push([as[i] as A, bs[i] as B]);
}
