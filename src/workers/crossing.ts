/**
 * What a structured clone carries between threads as it is. An object of any other class crosses
 * as a plain object, its prototype (methods, getters) gone, and a function does not cross at all:
 * where one thread keeps the instance, a pool would silently compute something else. So what
 * crosses (a task's combined pairs, a job's params) is checked first, nested values included.
 */

/** Prototypes a structured clone keeps. */
const CLONED_AS_THEMSELVES = new Set<unknown>(
  [Object, Array, Map, Set, Date, RegExp, ArrayBuffer, DataView, Uint8Array, Uint8ClampedArray, Int8Array, Uint16Array, Int16Array,
    Uint32Array, Int32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, Boolean, Number, String,
    Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError].map((c) => c.prototype),
).add(null);

/** The first value in `root` a structured clone would change: where it is (`.a[3]`) and what it is; undefined when none. */
export function firstAltered(root: unknown): { path: string; what: string } | undefined {
  if (typeof root !== 'object' && typeof root !== 'function') return undefined; // the common case: a primitive
  const seen = new Set<object>();
  const stack: Array<[unknown, string]> = [[root, '']];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v === 'function') return { path: at, what: `a function (${v.name || 'anonymous'})` };
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    const proto = Object.getPrototypeOf(v) as unknown;
    if (!CLONED_AS_THEMSELVES.has(proto)) {
      const name = (v as { constructor?: { name?: string } }).constructor?.name || 'a class of its own';
      return { path: at, what: `an instance of ${name}` };
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x === 'object' ? x !== null : typeof x === 'function') stack.push([x, `${at}[${i}]`]);
      }
    } else if (v instanceof Map) {
      let i = 0;
      for (const [k, x] of v) {
        const key = typeof k === 'string' ? JSON.stringify(k) : typeof k === 'number' || typeof k === 'boolean' ? String(k) : `key #${i}`;
        stack.push([k, `${at}.keys()[${i++}]`], [x, `${at}.get(${key})`]);
      }
    } else if (v instanceof Set) {
      let i = 0;
      for (const x of v) stack.push([x, `${at}.values()[${i++}]`]);
    } else if (proto === Object.prototype || proto === null) {
      for (const k of Object.keys(v)) stack.push([(v as Record<string, unknown>)[k], `${at}.${k}`]);
    }
  }
  return undefined;
}
