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
 * Delivery is at least once across failures: a batch that fails or is re-run after recovery
 * writes its records again. Put a unique id in the value (or make the consumer idempotent) when
 * duplicates matter.
 *
 *   const sink = writeToKafka(counts, { brokers: 'localhost:9092', topic: 'counts', ssc });
 *   // [word, n] pairs: key = word, value = String(n) by default
 */
import { Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import type { StreamingContext } from '../../context/StreamingContext.js';
import type { DStream } from '../../dstream/DStream.js';
import type { RDD } from '../../rdd/RDD.js';
import { checkTopics, KafkaConfigError, parseBrokerList } from '../../kafka/params.js';
import { produceRequests } from '../../kafka/produce.js';
import { missingTopicError } from '../../kafka/topics.js';

export interface KafkaSinkOptions<T> {
  /** Comma-separated `host:port`. */
  brokers: string;
  topic: string;
  /** The record's key (default: the first element of a `[key, value]` pair, else none). */
  key?: (t: T) => string | null;
  /** The record's value (default: the second element of a pair; a string as it is; anything else as JSON). */
  value?: (t: T) => string;
  clientId?: string;
  /** Records per produce request (default 5000; a request is also cut at about 1 MiB). */
  batchSize?: number;
  /** Close the producer when this context stops (otherwise call `close()`). */
  ssc?: StreamingContext;
}

function isPair(t: unknown): t is [unknown, unknown] {
  return Array.isArray(t) && t.length === 2;
}

function defaultKey(t: unknown): string | null {
  if (!isPair(t)) return null;
  const k = t[0];
  if (k === null || k === undefined) return null;
  return typeof k === 'string' ? k : JSON.stringify(k);
}

function defaultValue(t: unknown): string {
  const v = isPair(t) ? t[1] : t;
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? '';
}

export class KafkaSink<T> {
  readonly topic: string;
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private closed = false;
  private readonly keyOf: (t: T) => string | null;
  private readonly valueOf: (t: T) => string;
  private readonly batchSize: number;
  private readonly brokers: string;
  /** Set once the topic is known to exist or to be created on demand (checked before the first write). */
  private topicChecked = false;
  /** Records written so far. */
  written = 0;

  constructor(options: KafkaSinkOptions<T>) {
    if (!options || typeof options !== 'object') throw new KafkaConfigError('KafkaSink needs options { brokers, topic }');
    const brokers = parseBrokerList(options.brokers, 'KafkaSink broker list');
    this.brokers = brokers.join(',');
    this.topic = checkTopics([options.topic], 'KafkaSink topic')[0]!;
    this.keyOf = options.key ?? (defaultKey as (t: T) => string | null);
    this.valueOf = options.value ?? (defaultValue as (t: T) => string);
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

  /** Fails at once when the topic does not exist and the broker will not create it. */
  private async checkTopic(): Promise<void> {
    if (this.topicChecked) return;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const error = await missingTopicError(admin, [this.topic], this.brokers);
      if (error) throw error;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    this.topicChecked = true;
  }

  /** Writes `records` in order; resolves once Kafka acknowledged all of them. */
  async write(records: Iterable<T>): Promise<number> {
    await this.checkTopic();
    const producer = await this.connect();
    const messages = (function* (sink: KafkaSink<T>): Generator<Message> {
      for (const t of records) yield { key: sink.keyOf(t), value: sink.valueOf(t) };
    })(this);
    let n = 0;
    for (const batch of produceRequests(messages, (m) => m, this.batchSize)) {
      await producer.send({ topic: this.topic, messages: batch, acks: -1 });
      n += batch.length;
      this.written += batch.length;
    }
    return n;
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
