/**
 * Writes generated events to a Kafka topic (the generators' output): creates the topic when it is
 * missing, sends in batches with acks from all in-sync replicas through an idempotent producer (a
 * retried request is not written twice), optionally paced.
 */
import { Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import { sleep } from '../util/sleep.js';

export interface ProduceOptions {
  /** `host:port[,host:port…]`. */
  brokers: string;
  topic: string;
  /** Partitions of the topic when it has to be created. Default 3. */
  partitions?: number;
  /** Messages per second; default: as fast as the broker takes them. */
  rate?: number;
  /** Messages per produce request (default 2 000; requests are also cut at ~512 KiB). */
  batchSize?: number;
  /** Called after each request with the number sent so far. */
  onProgress?: (sent: number) => void;
  signal?: AbortSignal;
}

export interface KeyedValue {
  key: string | null;
  value: string;
}


export function kafkaFor(brokers: string, clientId = 'dstreams-generate'): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  return new Kafka({
    clientId,
    brokers: brokers.split(',').map((b) => b.trim()).filter(Boolean),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
  });
}

/** Creates `topic` with `partitions` partitions unless it exists; waits for the leaders. */
export async function ensureTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    }
  } finally {
    await admin.disconnect();
  }
}

/** Sends every message of `messages` to `options.topic`, in order; resolves with the number sent. */
export async function produceToKafka(messages: Iterable<KeyedValue>, options: ProduceOptions): Promise<number> {
  const { topic, partitions = 3, rate, batchSize = 2000, onProgress, signal } = options;
  if (rate !== undefined && !(rate > 0)) throw new RangeError(`rate must be positive, got ${rate}`);
  const kafka = kafkaFor(options.brokers);
  await ensureTopic(kafka, topic, partitions);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    // Paced: one request every 100 ms with a tenth of a second's messages.
    const perRequest = rate === undefined ? batchSize : Math.max(1, Math.round(rate / 10));
    const keyed = function* (): Iterable<Message> {
      for (const m of messages) yield { key: m.key, value: m.value };
    };
    return await sendInBatches(producer, topic, keyed(), {
      batchSize: perRequest,
      ...(rate !== undefined ? { rate } : {}),
      ...(onProgress ? { onProgress } : {}),
      ...(signal ? { signal } : {}),
    });
  } finally {
    await producer.disconnect();
  }
}

export interface SendOptions {
  /** Messages per produce request (requests are also cut at ~512 KiB). */
  batchSize: number;
  /** Messages per second at most; default: as fast as the broker takes them. */
  rate?: number;
  onProgress?: (sent: number) => void;
  /** Stops taking messages (what was taken so far is not sent). */
  signal?: AbortSignal;
}

/**
 * The producer loop: sends `messages` to `topic` in order, in requests of `batchSize` messages
 * or less (produceRequests), each acknowledged by all in-sync replicas, optionally paced; resolves
 * with the number sent. The caller connects and disconnects the producer.
 */
export async function sendInBatches(
  producer: Producer,
  topic: string,
  messages: Iterable<Message>,
  { batchSize, rate, onProgress, signal }: SendOptions,
): Promise<number> {
  let sent = 0;
  const started = Date.now();
  for (const batch of produceRequests(messages, (m) => m, batchSize)) {
    if (signal?.aborted) break;
    await producer.send({ topic, messages: batch, acks: -1 });
    sent += batch.length;
    onProgress?.(sent);
    if (rate !== undefined) {
      const due = started + (sent / rate) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
  }
  return sent;
}

function sizeOf(v: Message['value'] | Message['key']): number {
  return v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** A produce request is cut before it passes this (the broker's default message.max.bytes is ~1 MiB). */
export const REQUEST_BYTES = 1024 * 1024;

/** A record's share of a produce request: its key's and value's UTF-8 bytes and the record's overhead. */
export function recordBytes(m: Pick<Message, 'key' | 'value'>): number {
  return sizeOf(m.value) + sizeOf(m.key) + 32;
}

/**
 * `items` cut into produce requests, in order: at most `maxRecords` each, and cut before a record
 * would take a request past REQUEST_BYTES, so a request of records that each fit is never refused
 * (a record larger than that alone goes alone, and the broker says so). Lazy: items are read as
 * the requests are taken.
 */
export function* produceRequests<T>(items: Iterable<T>, message: (t: T) => Pick<Message, 'key' | 'value'>, maxRecords: number): Generator<T[]> {
  let request: T[] = [];
  let bytes = 0;
  for (const t of items) {
    const size = recordBytes(message(t));
    if (request.length > 0 && (bytes + size > REQUEST_BYTES || request.length >= maxRecords)) {
      yield request;
      request = [];
      bytes = 0;
    }
    request.push(t);
    bytes += size;
  }
  if (request.length > 0) yield request;
}
