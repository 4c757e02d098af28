/**
 * Keys compare by value: primitives as themselves, arrays and plain objects of primitives
 * (tuple keys such as `[country, city]`) by their contents. Primitive keys go straight into
 * a JS Map, so the common case pays one `typeof` check and nothing else.
 */

const isStructured = (k: unknown): k is object => typeof k === 'object' && k !== null;

/** What keys may be (the checkpoint's key codec refuses the same): anything else would compare wrongly. */
function unsupportedKey(v: unknown): TypeError {
  const type = typeof v === 'object' && v !== null ? ((v as object).constructor?.name ?? 'object') : typeof v;
  return new TypeError(`unsupported key type ${type}: keys must be primitives, arrays or plain objects`);
}

/**
 * A stable text form of a structured key; object properties sorted so `{a,b}` equals `{b,a}`.
 * Only primitives, arrays and plain objects: JSON would write every Map or Set as `{}` and a Date
 * as its ISO string, merging keys that differ, so those throw. A property name starting with `$`
 * is written with one more, apart from the forms of undefined, NaN and bigints (`{$u:1}`, …).
 */
export function encodeStructuredKey(k: object): string {
  return JSON.stringify(k, function (this: Record<string, unknown>, name: string, value: unknown) {
    switch (typeof value) {
      case 'undefined':
        return { $u: 1 };
      case 'number':
        // JSON writes NaN and ±Infinity as null, and cannot write a bigint: each gets a form of its own.
        return Number.isFinite(value) ? value : { $n: String(value) };
      case 'bigint':
        return { $b: value.toString() };
      case 'string':
        // A Date (or any toJSON) became a string before this replacer saw it.
        if (this[name] !== value) throw unsupportedKey(this[name]);
        return value;
      case 'object': {
        if (value === null || Array.isArray(value)) return value;
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) throw unsupportedKey(value);
        const sorted: Record<string, unknown> = {};
        for (const key of Object.keys(value).sort()) sorted[key.charCodeAt(0) === 36 ? '$' + key : key] = (value as Record<string, unknown>)[key];
        return sorted;
      }
      case 'boolean':
        return value;
      default:
        throw unsupportedKey(value); // a function or a symbol
    }
  });
}

/** A box holding the key as first seen and its current value; mutated in place on the hot path. */
export interface KeyEntry<K, V> {
  readonly key: K;
  value: V;
}

/** A Map whose keys compare by value. Iterates primitive keys, then structured keys, each in insertion order. */
export class KeyMap<K, V> {
  private readonly prim = new Map<unknown, KeyEntry<K, V>>();
  private structured: Map<string, KeyEntry<K, V>> | undefined;

  get size(): number {
    return this.prim.size + (this.structured?.size ?? 0);
  }

  /**
   * Fold `value` into the entry of `key`: `create(value)` for a new key, else `merge(old, value)`.
   * The hot path of every shuffle: one Map lookup for a primitive key.
   */
  fold<W>(key: K, value: W, create: (w: W) => V, merge: (v: V, w: W) => V): void {
    if (typeof key === 'object' && key !== null) {
      const e = this.entry(key);
      if (e === undefined) this.set(key, create(value));
      else e.value = merge(e.value, value);
      return;
    }
    const e = this.prim.get(key);
    if (e === undefined) this.prim.set(key, { key, value: create(value) });
    else e.value = merge(e.value, value);
  }

  /** The entry for `key`, or undefined. */
  entry(key: K): KeyEntry<K, V> | undefined {
    if (isStructured(key)) return this.structured?.get(encodeStructuredKey(key));
    return this.prim.get(key);
  }

  /** The entry for `key`, created with `init()` when missing. */
  entryOrInit(key: K, init: () => V): KeyEntry<K, V> {
    if (isStructured(key)) {
      const code = encodeStructuredKey(key);
      const map = (this.structured ??= new Map());
      let e = map.get(code);
      if (e === undefined) map.set(code, (e = { key, value: init() }));
      return e;
    }
    let e = this.prim.get(key);
    if (e === undefined) this.prim.set(key, (e = { key, value: init() }));
    return e;
  }

  get(key: K): V | undefined {
    return this.entry(key)?.value;
  }

  has(key: K): boolean {
    return this.entry(key) !== undefined;
  }

  set(key: K, value: V): this {
    if (isStructured(key)) {
      const code = encodeStructuredKey(key);
      const map = (this.structured ??= new Map());
      const e = map.get(code);
      if (e) e.value = value;
      else map.set(code, { key, value });
    } else {
      const e = this.prim.get(key);
      if (e) e.value = value;
      else this.prim.set(key, { key, value });
    }
    return this;
  }

  delete(key: K): boolean {
    if (isStructured(key)) return this.structured?.delete(encodeStructuredKey(key)) ?? false;
    return this.prim.delete(key);
  }

  clear(): void {
    this.prim.clear();
    this.structured?.clear();
  }

  *entries(): IterableIterator<KeyEntry<K, V>> {
    yield* this.prim.values();
    if (this.structured) yield* this.structured.values();
  }

  forEach(f: (value: V, key: K) => void): void {
    for (const e of this.prim.values()) f(e.value, e.key);
    if (this.structured) for (const e of this.structured.values()) f(e.value, e.key);
  }

  *pairs(): IterableIterator<[K, V]> {
    for (const e of this.entries()) yield [e.key, e.value];
  }
}

/** FNV-1a over a string's UTF-16 units. */
function hashString(s: string): number {
  return fnv1a(s, 0, s.length) >>> 0;
}

/**
 * FNV-1a of the string s.slice(from, to), without making that string, as a signed 32-bit
 * integer: hashKey of that string is this `>>> 0` (restored keys kept as text hash in place).
 */
export function fnv1a(s: string, from: number, to: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** A deterministic non-negative hash of a key, equal for keys that compare equal. */
export function hashKey(k: unknown): number {
  switch (typeof k) {
    case 'string':
      return hashString(k);
    case 'number':
      return Number.isInteger(k) && Math.abs(k) <= 0x7fffffff ? Math.abs(k) : hashString(String(k));
    case 'boolean':
      return k ? 1 : 0;
    case 'undefined':
      return 0;
    case 'bigint':
    case 'symbol':
      return hashString(String(k));
    default:
      return k === null ? 0 : hashString(encodeStructuredKey(k as object));
  }
}

/**
 * hashKey(k) | 0: the same bits as a signed 32-bit integer, which a caller keeps unboxed where the
 * unsigned value above 2^31 would be a heap number of its own (a string key's hash is not).
 */
export function hashKeySigned(k: unknown): number {
  return typeof k === 'string' ? fnv1a(k, 0, k.length) : hashKey(k) | 0;
}

/** Spark's HashPartitioner: which of `n` partitions a key belongs to. */
export function partitionOf(k: unknown, n: number): number {
  return n === 1 ? 0 : hashKey(k) % n;
}
