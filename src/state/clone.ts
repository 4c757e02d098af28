/**
 * Copy-on-write support for state values.
 *
 * A state value that a batch has committed may be referenced by RDDs already handed out
 * (updateStateByKey's output of that batch, a stateSnapshots RDD a window still holds) and by
 * the checkpoint change log. A user function gets a private copy of such a value, made here,
 * so mutating it in place never changes what those earlier RDDs show. Primitives (the common
 * case: counts, sums, strings) are returned as they are, at no cost.
 *
 * The copy is deep and keeps prototypes, so class instances keep their methods (Spark's
 * MEMORY_ONLY_SER state RDDs give the same isolation through serialisation). Limits: private
 * `#fields` of class instances cannot be copied, and functions, promises, weak collections,
 * regular expressions and errors are shared, not copied.
 */

type Seen = Map<object, unknown>;

export function cloneState<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  return cloneObject(v, new Map()) as T;
}

function cloneAny(v: unknown, seen: Seen): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const prior = seen.get(v);
  if (prior !== undefined) return prior;
  return cloneObject(v, seen);
}

function cloneObject(v: object, seen: Seen): unknown {
  const proto: unknown = Object.getPrototypeOf(v);
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    seen.set(v, out);
    if (proto !== Array.prototype) Object.setPrototypeOf(out, proto as object | null);
    for (let i = 0; i < v.length; i++) out[i] = cloneAny(v[i], seen);
    return out;
  }
  if (proto === Object.prototype || proto === null) {
    const out: Record<PropertyKey, unknown> = proto === null ? Object.create(null) : {};
    seen.set(v, out);
    const src = v as Record<PropertyKey, unknown>;
    const names = Object.keys(src);
    for (let i = 0; i < names.length; i++) out[names[i]!] = cloneAny(src[names[i]!], seen);
    // Symbol-keyed or non-enumerable properties: the slower descriptor path.
    if (Object.getOwnPropertyNames(src).length !== names.length || Object.getOwnPropertySymbols(src).length > 0) {
      return copyDescriptors(v, proto as object | null, seen);
    }
    if (Object.isFrozen(v)) Object.freeze(out);
    return out;
  }
  if (v instanceof Date) return remember(seen, v, new Date(v.getTime()), proto);
  if (v instanceof Map) {
    const out = remember(seen, v, new Map(), proto);
    for (const [k, x] of v) out.set(k, cloneAny(x, seen));
    return out;
  }
  if (v instanceof Set) {
    const out = remember(seen, v, new Set(), proto);
    for (const x of v) out.add(cloneAny(x, seen));
    return out;
  }
  if (v instanceof ArrayBuffer) return remember(seen, v, v.slice(0), proto);
  if (ArrayBuffer.isView(v)) {
    if (v instanceof DataView) {
      return remember(seen, v, new DataView(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)), proto);
    }
    if (Buffer.isBuffer(v)) return remember(seen, v, Buffer.from(v), proto);
    const Ctor = v.constructor as new (src: ArrayBufferView) => ArrayBufferView;
    return remember(seen, v, new Ctor(v), proto);
  }
  if (
    v instanceof RegExp ||
    v instanceof Promise ||
    v instanceof WeakMap ||
    v instanceof WeakSet ||
    v instanceof Error ||
    typeof (v as { then?: unknown }).then === 'function'
  ) {
    return v;
  }
  return copyDescriptors(v, proto as object | null, seen);
}

function remember<O extends object>(seen: Seen, from: object, to: O, proto: unknown): O {
  if (Object.getPrototypeOf(to) !== proto) Object.setPrototypeOf(to, proto as object | null);
  seen.set(from, to);
  return to;
}

/** Class instances and objects with unusual properties: same prototype, every own property copied. */
function copyDescriptors(v: object, proto: object | null, seen: Seen): unknown {
  const out = Object.create(proto) as object;
  seen.set(v, out);
  const descriptors = Object.getOwnPropertyDescriptors(v);
  for (const key of Reflect.ownKeys(descriptors)) {
    const d = descriptors[key as keyof typeof descriptors] as PropertyDescriptor;
    if ('value' in d) d.value = cloneAny(d.value, seen);
  }
  Object.defineProperties(out, descriptors);
  if (Object.isFrozen(v)) Object.freeze(out);
  else if (!Object.isExtensible(v)) Object.preventExtensions(out);
  return out;
}

const MAX_DEPTH = 200;

/**
 * Whether two state values are equal in content (same prototypes, same own properties, equal
 * elements). Conservative: when unsure (cycles too deep, exotic objects) it answers false, which
 * only means "treat the value as changed".
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  return eq(a, b, 0);
}

function eq(a: unknown, b: unknown, depth: number): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (depth > MAX_DEPTH) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!eq(a[i], bb[i], depth + 1)) return false;
    return ownKeysEqual(a, bb, depth, true);
  }
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof Map) {
    const bm = b as Map<unknown, unknown>;
    if (a.size !== bm.size) return false;
    for (const [k, x] of a) if (!bm.has(k) || !eq(x, bm.get(k), depth + 1)) return false;
    return true;
  }
  if (a instanceof Set) {
    const bs = b as Set<unknown>;
    if (a.size !== bs.size) return false;
    for (const x of a) if (!bs.has(x)) return false;
    return true;
  }
  if (a instanceof ArrayBuffer || ArrayBuffer.isView(a)) {
    const x = bytesOf(a as ArrayBuffer | ArrayBufferView);
    const y = bytesOf(b as ArrayBuffer | ArrayBufferView);
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (a instanceof RegExp || a instanceof Promise || a instanceof WeakMap || a instanceof WeakSet) return false;
  return ownKeysEqual(a, b, depth, false);
}

function bytesOf(x: ArrayBuffer | ArrayBufferView): Uint8Array {
  return x instanceof ArrayBuffer ? new Uint8Array(x) : new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

function ownKeysEqual(a: object, b: object, depth: number, skipIndices: boolean): boolean {
  const ka = Reflect.ownKeys(a);
  const kb = Reflect.ownKeys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (skipIndices && (k === 'length' || (typeof k === 'string' && isIndex(k)))) continue;
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    const da = Object.getOwnPropertyDescriptor(a, k)!;
    const db = Object.getOwnPropertyDescriptor(b, k)!;
    if ('value' in da !== 'value' in db) return false;
    if ('value' in da) {
      if (!eq(da.value, db.value, depth + 1)) return false;
    } else if (da.get !== db.get || da.set !== db.set) {
      return false;
    }
  }
  return true;
}

function isIndex(k: string): boolean {
  const n = Number(k);
  return Number.isInteger(n) && n >= 0 && String(n) === k;
}
