/**
 * Plain data: what a structured clone (and `node:v8` serialize, the same algorithm) gives back as
 * it was. An object of any other class comes back as a plain object, its prototype (methods,
 * getters) gone, and a function does not go at all. Values crossing threads (workers/crossing.ts)
 * and state values written to a checkpoint (checkpoint/codec.ts) are checked with it.
 */
import v8 from 'node:v8';

/** Prototypes a structured clone keeps. */
const CLONED_AS_THEMSELVES = new Set<unknown>(
  [Object, Array, Map, Set, Date, RegExp, ArrayBuffer, DataView, Uint8Array, Uint8ClampedArray, Int8Array, Uint16Array, Int16Array,
    Uint32Array, Int32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, Boolean, Number, String,
    Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError].map((c) => c.prototype),
).add(null);

/** An object (not null), a function or a symbol: what a clone may change or refuse. */
const isReference = (x: unknown): boolean => (typeof x === 'object' ? x !== null : typeof x === 'function' || typeof x === 'symbol');

/**
 * The first value in `root` a structured clone would change: where it is (`.a[3]`) and what it is;
 * undefined when none. `alsoKept`: prototypes the copy at hand keeps besides (`node:v8` serialize
 * gives a Buffer back as a Buffer, a structured clone as a Uint8Array); Date.prototype in it
 * accepts a Date of any subclass, which comes back a Date.
 */
export function firstAltered(root: unknown, alsoKept?: ReadonlySet<unknown>): { path: string; what: string } | undefined {
  // The common case: a primitive. A symbol is one a clone refuses (DataCloneError, naming nothing).
  if (typeof root !== 'object' && typeof root !== 'function' && typeof root !== 'symbol') return undefined;
  const seen = new Set<object>();
  const stack: Array<[unknown, string]> = [[root, '']];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v === 'function') return { path: at, what: `a function (${v.name || 'anonymous'})` };
    if (typeof v === 'symbol') return { path: at, what: `a symbol (${String(v)})` };
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    const proto = Object.getPrototypeOf(v) as unknown;
    // `alsoKept` holding Date.prototype: a Date of a subclass may come back a plain Date.
    const kept = alsoKept?.has(proto) === true || (v instanceof Date && alsoKept?.has(Date.prototype) === true);
    if (!CLONED_AS_THEMSELVES.has(proto) && !kept) {
      const name = (v as { constructor?: { name?: string } }).constructor?.name || 'a class of its own';
      return { path: at, what: `an instance of ${name}` };
    }
    // Only objects and functions are pushed (with their path): primitives cost no allocation.
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (isReference(x)) stack.push([x, `${at}[${i}]`]);
      }
    } else if (v instanceof Map) {
      let i = 0;
      for (const [k, x] of v) {
        if (isReference(k)) stack.push([k, `${at}.keys()[${i}]`]);
        if (isReference(x)) {
          const key = typeof k === 'string' ? JSON.stringify(k) : typeof k === 'number' || typeof k === 'boolean' ? String(k) : `key #${i}`;
          stack.push([x, `${at}.get(${key})`]);
        }
        i++;
      }
    } else if (v instanceof Set) {
      let i = 0;
      for (const x of v) {
        if (isReference(x)) stack.push([x, `${at}.values()[${i}]`]);
        i++;
      }
    } else if (proto === Object.prototype || proto === null) {
      for (const k of Object.keys(v)) {
        const x: unknown = (v as Record<string, unknown>)[k];
        if (isReference(x)) stack.push([x, `${at}.${k}`]);
      }
    }
  }
  return undefined;
}

/** Whether v8 serialize takes `v`. */
export function serialises(v: unknown): boolean {
  try {
    v8.serialize(v);
    return true;
  } catch {
    return false;
  }
}

/** A value as an error names it: its kind (and a function's name). */
function kindOf(v: unknown): string {
  if (typeof v === 'function') return `a function (${v.name || 'anonymous'})`;
  if (typeof v === 'symbol') return `a symbol (${String(v)})`;
  if (typeof v === 'object' && v !== null) return `an instance of ${(v as { constructor?: { name?: string } }).constructor?.name || 'a class of its own'}`;
  return typeof v;
}

/**
 * Where in `v` (which v8 serialize refuses) the value it cannot serialise is: the deepest member
 * that serialize refuses too (only called once a serialize failed, so its cost does not matter).
 */
export function refusedBySerialize(v: unknown): { path: string; what: string } {
  return refusedIn(v, '', new Set());
}

function refusedIn(v: unknown, at: string, seen: Set<object>): { path: string; what: string } {
  if (typeof v !== 'object' || v === null || seen.has(v)) return { path: at, what: kindOf(v) };
  seen.add(v);
  const members: Array<[unknown, string]> = [];
  if (Array.isArray(v)) v.forEach((x, i) => members.push([x, `${at}[${i}]`]));
  else if (v instanceof Map) {
    let i = 0;
    for (const [k, x] of v) {
      members.push([k, `${at}.keys()[${i}]`], [x, `${at}.get(${typeof k === 'string' ? JSON.stringify(k) : typeof k === 'number' ? String(k) : `key #${i}`})`]);
      i++;
    }
  } else if (v instanceof Set) [...v].forEach((x, i) => members.push([x, `${at}.values()[${i}]`]));
  else for (const k of Object.keys(v)) members.push([(v as Record<string, unknown>)[k], `${at}.${k}`]);
  for (const [x, p] of members) if (!serialises(x)) return refusedIn(x, p, seen);
  return { path: at, what: kindOf(v) };
}
