/**
 * Partitions: what the RDD's helper modules (actions, byKey, setOps, sampling, textFiles) read
 * of an RDD — its partitions, element by element or as arrays — declared here rather than
 * imported from RDD.ts, which loads those modules, so the flow stays one-way; and how an array
 * is cut into partitions.
 */

/** Receives one element; narrow transformations compose these so a chain runs in one pass. */
export type Push<T> = (t: T) => void;

/**
 * The key and value types of a pair RDD's element, the defaults of a pair operation's K and V
 * after the type arguments Spark documents (`aggregateByKey<U>`), as dstream/pairTypes.ts does
 * for streams; `never` for an element that is not a pair, so the operation's `this` does not match.
 */
export type KeyOf<T> = T extends readonly [infer K, unknown] ? K : never;
export type ValueOf<T> = T extends readonly [unknown, infer V] ? V : never;

export interface Partitioned<T> {
  readonly numPartitions: number;
  /** Push every element of partition `i`, in order. */
  iteratePartition(i: number, push: Push<T>): void;
  /** Partition `i` as an array (a fresh array unless cached: read it, do not change it). */
  partition(i: number): T[];
}

/** Every element, partitions in order, each partition's elements in order. */
export function forEachElement<T>(rdd: Partitioned<T>, push: Push<T>): void {
  for (let i = 0; i < rdd.numPartitions; i++) rdd.iteratePartition(i, push);
}

export function collectAll<T>(rdd: Partitioned<T>): T[] {
  const out: T[] = [];
  forEachElement(rdd, (t) => void out.push(t));
  return out;
}

/** Spark's ParallelCollectionRDD slicing: contiguous, in order, sizes differing by at most one. */
export function sliceArray<T>(data: readonly T[], numSlices: number): T[][] {
  if (!Number.isInteger(numSlices) || numSlices < 1) {
    throw new RangeError(`number of partitions must be a positive integer, got ${numSlices}`);
  }
  const out: T[][] = [];
  const n = data.length;
  for (let i = 0; i < numSlices; i++) {
    out.push(data.slice(Math.floor((i * n) / numSlices), Math.floor(((i + 1) * n) / numSlices)));
  }
  return out;
}
