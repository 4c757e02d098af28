/**
 * A fold's zero for one use (Spark deserialises a copy per partition and per key): plain arrays and
 * objects are copied, so `f` may change its first argument in place; class instances and the rest
 * are used as they are.
 */
export function copyOfZero<V>(zero: V): V {
  if (typeof zero !== 'object' || zero === null) return zero;
  const proto = Object.getPrototypeOf(zero) as unknown;
  if (!Array.isArray(zero) && proto !== Object.prototype && proto !== null) return zero;
  try {
    return structuredClone(zero);
  } catch {
    return zero; // holds a function, say: not copyable
  }
}
