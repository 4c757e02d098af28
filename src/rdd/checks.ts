/** The RDD methods' argument checks: thrown at the call, as Spark's `require`s, never a silently empty result. */

/** What a refused argument was, for an error (a string quoted and called one, so '2' does not read as 2). */
export function described(v: unknown): string {
  if (typeof v === 'string') return `the string '${v}'`;
  if (typeof v === 'bigint') return `the bigint ${v}`;
  if (typeof v === 'function') return `a function`;
  if (Array.isArray(v)) return `an array of ${v.length} element${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'object' && v !== null) return `an object (${(v as { constructor?: { name?: string } }).constructor?.name ?? 'no class'})`;
  return String(v);
}

/**
 * A partition count of `operation`: a positive integer (Spark: "Number of partitions (0) must be
 * positive"). Typed unknown: a count read from text ('2') must fail here, not as a shuffle's table size.
 */
export function checkPartitions(n: unknown, operation: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`${operation}: numPartitions must be a positive integer, got ${described(n)}`);
  }
  return n;
}

/** A number of elements (`top`, `takeOrdered`, `takeSample`): an integer; callers give [] for n <= 0. */
export function checkCount(n: number, method: string): number {
  if (!Number.isInteger(n)) throw new RangeError(`${method}(n) needs an integer number of elements, got ${n}`);
  return n;
}
