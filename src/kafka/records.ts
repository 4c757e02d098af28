/**
 * Kafka records as the streams hand them over, and their decoding: UTF-8 by default (the fused
 * path), a user's key and value decoders (PySpark's), or raw bytes with offset and timestamp
 * (Structured Streaming's Kafka rows). A decoder that throws names the record it failed on.
 */
import type { FetchedMessage } from './internals.js';
import { FatalKafkaError } from './retry.js';

/** One Kafka record as the streams hand it over: `[key, value]` decoded as UTF-8, key `null` when absent. */
export type KafkaRecord = [string | null, string];

/** A key or value decoder (PySpark's keyDecoder/valueDecoder): the record's bytes, `null` when absent. */
export type Decoder<T> = (bytes: Buffer | null) => T;

/** The decoders a read applies; a missing one decodes as UTF-8 (key `null` when absent, value `''`). */
export interface RecordDecoders<K, V> {
  keyDecoder?: Decoder<K> | undefined;
  valueDecoder?: Decoder<V> | undefined;
}

/** A key or value decoder threw: names the record, so the batch fails with where the bad record is. */
export class RecordDecodeError extends FatalKafkaError {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  constructor(which: 'keyDecoder' | 'valueDecoder', topic: string, partition: number, offset: number, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`${which} failed on the record at ${topic}:${partition} offset ${offset}: ${why}`, cause);
    this.name = 'RecordDecodeError';
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
  }
}

/** A record undecoded, with its offset and timestamp (Structured Streaming's Kafka rows): `readRaw`. */
export interface RawKafkaRecord {
  key: Buffer | null;
  value: Buffer | null;
  offset: number;
  /** ms since the epoch (the record's CreateTime or LogAppendTime). */
  timestamp: number;
  /** Which of the two `timestamp` is: 0 CreateTime, 1 LogAppendTime (the topic's message.timestamp.type). */
  timestampType: number;
}

export function rawRecord(m: FetchedMessage): RawKafkaRecord {
  return { key: m.key, value: m.value, offset: Number(m.offset), timestamp: Number(m.timestamp ?? 0), timestampType: m.batchContext?.timestampType ?? 0 };
}

export function decodeRecord(m: FetchedMessage): KafkaRecord {
  return [m.key === null ? null : m.key.toString('utf8'), m.value === null ? '' : m.value.toString('utf8')];
}

const utf8Key: Decoder<string | null> = (b) => (b === null ? null : b.toString('utf8'));
const utf8Value: Decoder<string> = (b) => (b === null ? '' : b.toString('utf8'));

/** decodeRecord with user decoders, for one partition: a decoder that throws fails the read with a RecordDecodeError. */
export function userDecoder<K, V>(d: RecordDecoders<K, V>, topic: string, partition: number): (m: FetchedMessage) => [K, V] {
  const keyOf = (d.keyDecoder ?? utf8Key) as Decoder<K>;
  const valueOf = (d.valueDecoder ?? utf8Value) as Decoder<V>;
  return (m) => {
    let key: K;
    try {
      key = keyOf(m.key);
    } catch (e) {
      throw new RecordDecodeError('keyDecoder', topic, partition, Number(m.offset), e);
    }
    try {
      return [key, valueOf(m.value)];
    } catch (e) {
      throw new RecordDecodeError('valueDecoder', topic, partition, Number(m.offset), e);
    }
  };
}
