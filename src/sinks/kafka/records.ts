/**
 * How the Kafka sinks turn a key or value into what kafkajs sends, one rule for both (the
 * DStream sink here, Structured Streaming's in sql/sinks/kafka.ts): bytes as they are, text as
 * UTF-8, null as no key / a null value (a tombstone), anything else by the sink's own rule (JSON
 * for the DStream sink, SQL's string form for Structured Streaming).
 */

/** A key or value a sink's `key`/`value` function may give. */
export type KafkaBytes = Buffer | Uint8Array | string | null;

/**
 * `v` as kafkajs takes a key or value. A Uint8Array is viewed as a Buffer (no copy): kafkajs
 * encodes only Buffers and strings as bytes, and JSON of a Uint8Array is `{"0":1,…}`.
 */
export function kafkaBytes(v: unknown, other: (v: unknown) => string): Buffer | string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return other(v);
}

/** The DStream sink's rule for other values: JSON (a function or symbol, which JSON leaves out, as ''). */
export function jsonText(v: unknown): string {
  return JSON.stringify(v) ?? '';
}

/** Bytes of a key or value as sent (UTF-8 for text). */
export function byteSize(v: Buffer | string | null | undefined): number {
  return v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}
