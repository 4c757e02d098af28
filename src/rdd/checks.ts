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

/** How much of a refused element an error shows. */
const SHOWN_CHARS = 80;

/** `x` for an error message: its JSON (or text), cut short. */
export function shownElement(x: unknown): string {
  if (typeof x === 'function') return 'a function';
  let text: string | undefined;
  try {
    text = typeof x === 'bigint' ? `${x}n` : JSON.stringify(x);
  } catch {
    text = undefined; // a cycle, a bigint inside
  }
  text ??= String(x); // undefined, a symbol
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS - 1)}…` : text;
}

/**
 * A pair operation met an element that is not a `[key, value]` array of two (PySpark fails
 * unpacking it; reading `x[0]`, `x[1]` of a number would make a key undefined and go on).
 */
export function refuseNonPair(operation: string, x: unknown): never {
  const what = Array.isArray(x) ? `an array of ${x.length} element${x.length === 1 ? '' : 's'}, ${shownElement(x)}` : shownElement(x);
  throw new TypeError(`${operation} needs [key, value] pairs (arrays of two), got ${what}`);
}

/**
 * refuseNonPair for a hot loop that must not pass the element on (an element passed to a call
 * escapes, so a pair made just before could no longer go unallocated): its kind and length only.
 */
export function notPairOf(operation: string, kind: string, length: number): never {
  const what = length >= 0 ? `an array of ${length} element${length === 1 ? '' : 's'}` : kind === 'object' ? 'an object or null' : `a ${kind}`;
  throw new TypeError(`${operation} needs [key, value] pairs (arrays of two), got ${what}`);
}

/** True for a `[key, value]` pair: an array of exactly two elements (a third would be dropped unseen). */
export function isPair(x: unknown): x is readonly [unknown, unknown] {
  return Array.isArray(x) && x.length === 2;
}
