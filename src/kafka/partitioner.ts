/**
 * Which partition a key goes to: Kafka's default partitioner (murmur2 of the key's bytes, made
 * positive, modulo the partition count), the one the Java client and kafkajs use. A scaled-out
 * job uses it for its repartition and changelog topics, so a state key, the repartition record
 * that carries it and its changelog record all live in partition `partitionForKey(key, n)`; and
 * a topic a producer keyed with the default partitioner is co-partitioned with them.
 */

/** A key as the bytes Kafka sees: a string as itself, anything else as its JSON. */
export function keyString(key: unknown): string {
  if (typeof key === 'string') return key;
  const s = JSON.stringify(key);
  if (s === undefined) throw new TypeError(`a key sent through Kafka must be JSON-serialisable, got ${String(key)}`);
  return s;
}

/** Kafka's murmur2 (the Java client's `Utils.murmur2`), as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of `key` among `numPartitions`, as Kafka's default partitioner puts it. */
export function partitionForKey(key: unknown, numPartitions: number): number {
  return (murmur2(Buffer.from(keyString(key), 'utf8')) & 0x7fffffff) % numPartitions;
}
