/** A total order over the values streams sort by: numbers, strings, booleans, and arrays of them, element-wise. */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  // NaN after every number (Scala's Double ordering): a comparator that calls it equal to all is no order.
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : a === b ? 0 : Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = compareValues(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  // undefined before null before the rest.
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  if (a === null) return -1;
  if (b === null) return 1;
  const sa = typeof a === 'object' ? JSON.stringify(a) : String(a);
  const sb = typeof b === 'object' ? JSON.stringify(b) : String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** `items` sorted by `f` of each (stable: equal keys keep their order), ascending or descending. */
export function sortedBy<T, U>(items: readonly T[], f: (t: T) => U, ascending: boolean): T[] {
  const keyed = items.map((t) => [f(t), t] as const);
  keyed.sort((a, b) => (ascending ? compareValues(a[0], b[0]) : compareValues(b[0], a[0])));
  return keyed.map((kt) => kt[1]);
}
