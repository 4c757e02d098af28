/**
 * A total order over the values streams sort by. Values of one kind compare as their kind does:
 * numbers and bigints together, numerically (NaN after all of them, as Scala's Double ordering);
 * strings by code unit; false before true; arrays element-wise; any other value (a plain object,
 * a Date) by its JSON text. Values of different kinds order by kind, in that order, after
 * undefined and null: a comparator that read a mixed pair as text would be no order (9 < 10,
 * 10 < "9" as text, "9" equal to 9).
 */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (typeof a === 'number' && typeof b === 'number') return compareNumeric(a, b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== kb) return ka - kb;
  switch (ka) {
    case Kind.Numeric:
      return compareNumeric(a as number | bigint, b as number | bigint);
    case Kind.Boolean:
      return a ? 1 : -1; // a !== b
    case Kind.Array: {
      const x = a as readonly unknown[];
      const y = b as readonly unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    case Kind.Other: {
      const sa = textOf(a);
      const sb = textOf(b);
      return sa < sb ? -1 : sa > sb ? 1 : 0;
    }
    default:
      return 0; // both undefined or both null
  }
}

/** The kinds in their order; values of different kinds compare by it. */
const Kind = { Undefined: 0, Null: 1, Boolean: 2, Numeric: 3, String: 4, Array: 5, Other: 6 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

function kindOf(x: unknown): Kind {
  switch (typeof x) {
    case 'undefined':
      return Kind.Undefined;
    case 'boolean':
      return Kind.Boolean;
    case 'number':
    case 'bigint':
      return Kind.Numeric;
    case 'string':
      return Kind.String;
    default:
      return x === null ? Kind.Null : Array.isArray(x) ? Kind.Array : Kind.Other;
  }
}

/** Numbers and bigints by value (1n and 1 equal; JavaScript compares the two exactly), NaN last. */
function compareNumeric(a: number | bigint, b: number | bigint): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a == b) return 0;
  // Unordered: one or both is NaN.
  const aNaN = typeof a === 'number' && Number.isNaN(a);
  const bNaN = typeof b === 'number' && Number.isNaN(b);
  return aNaN === bNaN ? 0 : aNaN ? 1 : -1;
}

/** A value's text to order by: JSON for objects (a bigint inside as its digits, where JSON.stringify throws), else String. */
function textOf(x: unknown): string {
  if (typeof x !== 'object') return String(x);
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(x);
}

/** `items` sorted by `f` of each (stable: equal keys keep their order), ascending or descending. */
export function sortedBy<T, U>(items: readonly T[], f: (t: T) => U, ascending: boolean): T[] {
  const keyed = items.map((t) => [f(t), t] as const);
  keyed.sort((a, b) => (ascending ? compareValues(a[0], b[0]) : compareValues(b[0], a[0])));
  return keyed.map((kt) => kt[1]);
}
