/** The RDD methods' argument checks: thrown at the call, as Spark's `require`s, never a silently empty result. */

/** A partition count: a positive integer (Spark: "Number of partitions (0) must be positive"). */
export function checkPartitions(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`numPartitions must be a positive integer, got ${n}`);
  return n;
}

/** A number of elements (`top`, `takeOrdered`, `takeSample`): an integer; callers give [] for n <= 0. */
export function checkCount(n: number, method: string): number {
  if (!Number.isInteger(n)) throw new RangeError(`${method}(n) needs an integer number of elements, got ${n}`);
  return n;
}
