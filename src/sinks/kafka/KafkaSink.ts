/**
 * Kafka as an output: each RDD of a stream written to a topic with an idempotent kafkajs
 * producer (acks from all in-sync replicas; the broker drops a retried send it already has, so a
 * network retry writes no duplicate). Records keep their order within a partition of the RDD
 * and their keys (records with the same key land in the same Kafka partition).
 *
 * A topic that does not exist yet is created by the broker when it allows it
 * (auto.create.topics.enable), as Spark's Java producer has it; when the broker does not, the
 * first write fails at once naming the topic and the brokers (kafka/topics.ts).
 *
 * Keys and values: a Buffer or Uint8Array as its bytes, a string as UTF-8, null as no key / a
 * null value (a tombstone), anything else as JSON (sinks/kafka/records.ts, the rule of
 * writeStream.format('kafka') too). A failure is a KafkaSinkError naming the topic and brokers:
 * a record that would not serialise (by its index in the batch), one Kafka refused as too large
 * (its size), a topic deleted or re-created under the sink (its partitions then and now).
 *
 * Delivery is at least once across failures: a batch that fails or is re-run after recovery
 * writes its records again. Put a unique id in the value (or make the consumer idempotent) when
 * duplicates matter.
 *
 *   const sink = writeToKafka(counts, { brokers: 'localhost:9092', topic: 'counts', ssc });
 *   // [word, n] pairs: key = word, value = String(n) by default
 */
import { Kafka, logLevel, type Admin, type Message, type Producer, type RecordMetadata } from 'kafkajs';
import type { StreamingContext } from '../../context/StreamingContext.js';
import type { DStream } from '../../dstream/DStream.js';
import type { RDD } from '../../rdd/RDD.js';
import { checkTopics, KafkaConfigError, parseBrokerList } from '../../kafka/params.js';
import { produceRequests } from '../../kafka/produce.js';
import { missingTopicError } from '../../kafka/topics.js';
import {
  isTooLarge,
  KafkaSinkError,
  maxMessageBytes,
  mayBeTopicChange,
  sendError,
  serialiseError,
  tooLargeDetail,
  topicChange,
  topicNow,
} from './errors.js';
import { byteSize, jsonText, kafkaBytes, type KafkaBytes } from './records.js';

export { KafkaSinkError } from './errors.js';
export type { KafkaBytes } from './records.js';

export interface KafkaSinkOptions<T> {
  /** Comma-separated `host:port`. */
  brokers: string;
  topic: string;
  /** The record's key (default: the first element of a `[key, value]` pair, else none); null: no key. */
  key?: (t: T) => KafkaBytes;
  /** The record's value (default: the second element of a pair, else the element); null: a tombstone. */
  value?: (t: T) => KafkaBytes;
  clientId?: string;
  /** Records per produce request (default 5000; a request is also cut at about 1 MiB). */
  batchSize?: number;
  /** Close the producer when this context stops (otherwise call `close()`). */
  ssc?: StreamingContext;
}

function isPair(t: unknown): t is [unknown, unknown] {
  return Array.isArray(t) && t.length === 2;
}

const defaultKey = (t: unknown): unknown => (isPair(t) ? t[0] : null);
const defaultValue = (t: unknown): unknown => (isPair(t) ? t[1] : t);

export class KafkaSink<T> {
  readonly topic: string;
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private closed = false;
  private readonly keyOf: (t: T) => unknown;
  private readonly valueOf: (t: T) => unknown;
  private readonly batchSize: number;
  private readonly brokers: string;
  /** Set once the topic is known to exist or to be created on demand (checked before the first write). */
  private topicChecked = false;
  /** The topic's partitions when first seen (read again before each write until the topic exists). */
  private partitions: number | undefined;
  /** Per partition, the offset after the last record Kafka acknowledged: a log that ends before it was re-created. */
  private readonly writtenUpTo = new Map<number, number>();
  /** Records written so far. */
  written = 0;

  constructor(options: KafkaSinkOptions<T>) {
    if (!options || typeof options !== 'object') throw new KafkaConfigError('KafkaSink needs options { brokers, topic }');
    const brokers = parseBrokerList(options.brokers, 'KafkaSink broker list');
    this.brokers = brokers.join(',');
    this.topic = checkTopics([options.topic], 'KafkaSink topic')[0]!;
    this.keyOf = options.key ?? defaultKey;
    this.valueOf = options.value ?? defaultValue;
    this.batchSize = options.batchSize ?? 5000;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new KafkaConfigError('KafkaSink batchSize must be a positive integer');
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'dstreams-sink',
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
    });
    options.ssc?.events$.subscribe({ complete: () => void this.close() });
  }

  private connect(): Promise<Producer> {
    if (this.closed) return Promise.reject(new Error(`KafkaSink for ${this.topic} is closed`));
    this.connecting ??= (async () => {
      // Its metadata requests may create a missing topic, as the Java producer's do.
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
      await producer.connect();
      this.producer = producer;
      return producer;
    })();
    this.connecting.catch(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async withAdmin<R>(f: (admin: Admin) => Promise<R>): Promise<R> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await f(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Fails at once when the topic does not exist and the broker will not create it; learns its partitions. */
  private async checkTopic(): Promise<void> {
    if (this.topicChecked && this.partitions !== undefined) return;
    await this.withAdmin(async (admin) => {
      if (!this.topicChecked) {
        const error = await missingTopicError(admin, [this.topic], this.brokers);
        if (error) throw new KafkaSinkError(error.message, this.topic, this.brokers);
      }
      this.partitions = (await topicNow(admin, this.topic))?.partitions;
    });
    this.topicChecked = true;
  }

  /** The record at `index` as kafkajs sends it; a key or value that will not serialise names the record. */
  private message(t: T, index: number): Message {
    let which: 'key' | 'value' = 'key';
    try {
      const key = kafkaBytes(this.keyOf(t), jsonText);
      which = 'value';
      return { key, value: kafkaBytes(this.valueOf(t), jsonText) };
    } catch (e) {
      throw serialiseError(this.topic, this.brokers, index, which, e);
    }
  }

  /** Writes `records` in order; resolves once Kafka acknowledged all of them. */
  async write(records: Iterable<T>): Promise<number> {
    try {
      await this.checkTopic();
    } catch (e) {
      throw e instanceof KafkaSinkError ? e : sendError(this.topic, this.brokers, 0, e, "could not read the topic's metadata");
    }
    let producer: Producer;
    try {
      producer = await this.connect();
    } catch (e) {
      throw sendError(this.topic, this.brokers, 0, e, 'could not connect its producer');
    }
    const messages = (function* (sink: KafkaSink<T>): Generator<Message> {
      let i = 0;
      for (const t of records) yield sink.message(t, i++);
    })(this);
    let n = 0;
    for (const batch of produceRequests(messages, (m) => m, this.batchSize)) {
      let acks: RecordMetadata[];
      try {
        acks = await producer.send({ topic: this.topic, messages: batch, acks: -1 });
      } catch (e) {
        throw await this.explain(e, batch);
      }
      await this.noteAcks(acks);
      n += batch.length;
      this.written += batch.length;
    }
    return n;
  }

  /** Checks what Kafka acknowledged: a partition's offsets going back means the topic was re-created. */
  private async noteAcks(acks: readonly RecordMetadata[]): Promise<void> {
    for (const a of acks) {
      const base = Number(a.baseOffset);
      if (!(base >= 0)) continue;
      const before = this.writtenUpTo.get(a.partition);
      if (before !== undefined && base < before) {
        const why = `partition ${a.partition} took records at offset ${base}, though the sink had written offset ${before - 1} there before`;
        await this.dropProducer();
        const what = 'found its topic deleted and created again (or records lost by the broker) while it wrote';
        throw sendError(this.topic, this.brokers, 0, new Error(why), what, 'The records of this request went to the new topic');
      }
    }
    // After the check: a request may hold several records of a partition (kafkajs gives the first one's offset).
    for (const a of acks) {
      const base = Number(a.baseOffset);
      if (base >= 0) this.writtenUpTo.set(a.partition, Math.max(this.writtenUpTo.get(a.partition) ?? 0, base + 1));
    }
  }

  /** A failed send, named: the topic and brokers, and for a refusal Kafka gave, what the sink knows of it. */
  private async explain(err: unknown, batch: readonly Message[]): Promise<KafkaSinkError> {
    if (isTooLarge(err)) {
      const largest = Math.max(...batch.map((m) => byteSize(m.key) + byteSize(m.value)));
      const limit = await this.withAdmin((admin) => maxMessageBytes(admin, this.topic)).catch(() => undefined);
      const what = 'could not write a record Kafka refused as too large';
      return sendError(this.topic, this.brokers, batch.length, err, what, tooLargeDetail(largest, limit));
    }
    if (mayBeTopicChange(err)) {
      const before = { partitions: this.partitions, written: new Map(this.writtenUpTo) };
      const change = await this.withAdmin((admin) => topicNow(admin, this.topic))
        .then((now) => topicChange(before, now))
        .catch(() => undefined);
      if (change !== undefined) {
        await this.dropProducer();
        return sendError(this.topic, this.brokers, batch.length, err, undefined, `${change}; records of this request may be in the new topic`);
      }
    }
    return sendError(this.topic, this.brokers, batch.length, err);
  }

  /**
   * After the topic changed: a new producer (the old one's sequence numbers belong to the old
   * topic) and what the sink knows of the topic forgotten, so a later write starts afresh.
   */
  private async dropProducer(): Promise<void> {
    const producer = await this.connecting?.catch(() => undefined);
    this.connecting = undefined;
    this.producer = undefined;
    this.topicChecked = false;
    this.partitions = undefined;
    this.writtenUpTo.clear();
    await producer?.disconnect().catch(() => undefined);
  }

  /** An output function for `foreachRDD`: writes the RDD, partition by partition, in order. */
  writer(): (rdd: RDD<T>, time: number) => Promise<void> {
    return async (rdd) => {
      const parts: T[][] = [];
      for (let i = 0; i < rdd.getNumPartitions(); i++) parts.push(rdd.partition(i));
      await this.write(
        (function* () {
          for (const p of parts) yield* p;
        })(),
      );
    };
  }

  /** Disconnects the producer (writes under way finish first). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
  }
}

/** Writes every RDD of `stream` to a Kafka topic (an output operation); returns the sink (to close it). */
export function writeToKafka<T>(stream: DStream<T>, options: KafkaSinkOptions<T>): KafkaSink<T> {
  const sink = new KafkaSink<T>(options);
  stream.foreachRDD(sink.writer());
  return sink;
}
