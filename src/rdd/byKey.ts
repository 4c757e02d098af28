/**
 * The bodies of the pair RDD's shuffles by key that run outside the fused combining table
 * (RDD.combineByKey): cogroup, partitionBy, and the per-partition combine that gives a fold's
 * zero once per key *per partition*, as Spark's map-side combine does (foldByKey,
 * aggregateByKey). Keys compare by value (KeyMap); results are hash-partitioned by key.
 */
import { KeyMap, partitionOf } from './keys.js';
import type { Partitioned } from './partitioned.js';
import { isPair, refuseNonPair } from './checks.js';

/** Spread a table's entries over `n` partitions by key hash, each keeping the table's order. */
export function hashPartition<K, V>(table: KeyMap<K, V>, n: number): [K, V][][] {
  const parts: [K, V][][] = Array.from({ length: n }, () => []);
  table.forEach((v, k) => void parts[partitionOf(k, n)]!.push([k, v]));
  return parts;
}

/** The pairs hash-partitioned by key into `n` partitions, each keeping arrival order. */
export function partitionByKey<K, V>(rdd: Partitioned<[K, V]>, n: number): [K, V][][] {
  const parts: [K, V][][] = Array.from({ length: n }, () => []);
  for (let p = 0; p < rdd.numPartitions; p++) {
    rdd.iteratePartition(p, (kv) => {
      if (!isPair(kv)) refuseNonPair('partitionBy', kv);
      parts[partitionOf(kv[0], n)]!.push(kv);
    });
  }
  return parts;
}

/**
 * For each key in either RDD, all its values from each: `[K, [V[], W[]]]`. `operation` (cogroup,
 * join, …) names the error on an element of either side that is not a pair.
 */
export function cogroupPartitions<K, V, W>(a: Partitioned<[K, V]>, b: Partitioned<[K, W]>, n: number, operation: string): [K, [V[], W[]]][][] {
  const groups = new KeyMap<K, [V[], W[]]>();
  const fresh = (): [V[], W[]] => [[], []];
  for (let p = 0; p < a.numPartitions; p++) {
    a.iteratePartition(p, (kv) => {
      if (!isPair(kv)) refuseNonPair(operation, kv);
      groups.entryOrInit(kv[0], fresh).value[0].push(kv[1]);
    });
  }
  for (let p = 0; p < b.numPartitions; p++) {
    b.iteratePartition(p, (kw) => {
      if (!isPair(kw)) refuseNonPair(operation, kw);
      groups.entryOrInit(kw[0], fresh).value[1].push(kw[1]);
    });
  }
  return hashPartition(groups, n);
}

/**
 * Spark's combineByKey with its map-side combine: each partition combines its own values
 * (`create` for a key's first value there, `mergeValue` for the rest), then the partitions'
 * combiners merge with `mergeCombiners`, in partition order.
 */
export function combinePerPartition<K, V, C>(
  rdd: Partitioned<[K, V]>,
  create: (v: V) => C,
  mergeValue: (c: C, v: V) => C,
  mergeCombiners: (a: C, b: C) => C,
  n: number,
  operation: string,
): [K, C][][] {
  const total = new KeyMap<K, C>();
  for (let p = 0; p < rdd.numPartitions; p++) {
    const local = new KeyMap<K, C>();
    rdd.iteratePartition(p, (kv) => {
      if (!isPair(kv)) refuseNonPair(operation, kv);
      local.fold(kv[0], kv[1], create, mergeValue);
    });
    local.forEach((c, k) => total.fold(k, c, same, mergeCombiners));
  }
  return hashPartition(total, n);
}

export function cross<A, B>(as: readonly A[], bs: readonly B[]): [A, B][] {
  const out: [A, B][] = [];
  for (const a of as) for (const b of bs) out.push([a, b]);
  return out;
}

const same = <C>(c: C): C => c;
