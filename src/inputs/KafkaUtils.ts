/**
 * PySpark's KafkaUtils for dstreams: the direct approach (`createDirectStream`, `createRDD`) and
 * the receiver-based one (`createStream`). Records are `[key, value]` pairs decoded as UTF-8
 * (`null` key when a record has none; a `null` value reads as `''`).
 */
import type { StreamingContext } from '../context/StreamingContext.js';
import { DirectKafkaInputDStream, type DirectStreamOptions } from '../direct/DirectKafkaInputDStream.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import type { RDD } from '../rdd/RDD.js';
import type { ReceiverStreamOptions } from '../receivers/options.js';
import type { ReceiverInputDStream } from '../receivers/ReceiverInputDStream.js';
import { KafkaReceiver, type KafkaReceiverOptions } from '../receivers/KafkaReceiver.js';
import { KafkaClient, type KafkaRecord } from '../kafka/client.js';
import { KafkaRDD } from '../kafka/KafkaRDD.js';
import { ScaleOut } from '../scaleout/ScaleOut.js';
import {
  checkOffsetRanges,
  checkTopics,
  KafkaConfigError,
  parseFromOffsets,
  resolveKafkaParams,
  type KafkaParams,
} from '../kafka/params.js';

export type { KafkaRecord } from '../kafka/client.js';

function checkContext(ssc: StreamingContext, what: string): void {
  if (!ssc || typeof ssc !== 'object' || !('graph' in ssc) || typeof ssc.addBatchHooks !== 'function') {
    throw new KafkaConfigError(`${what} needs a StreamingContext as its first argument`);
  }
}

export const KafkaUtils = {
  /**
   * A stream without a receiver: each batch reads exactly the offset ranges the driver decided
   * for it (see DirectKafkaInputDStream). Every RDD has `offsetRanges()`; the stream has
   * `commitAsync(offsetRanges)`.
   *
   * @param topics topics to read, all their partitions
   * @param kafkaParams `"metadata.broker.list"` or `"bootstrap.servers"`, optional `"group.id"`,
   *   `"auto.offset.reset"`, `maxRatePerPartition`, `backpressure`, `"retry.timeout.ms"` (see KafkaParams)
   * @param fromOffsets where to start, `"topic:partition"` → offset (Map or object); partitions
   *   not named start from the offsets `group.id` committed, else as `auto.offset.reset` says
   */
  createDirectStream(
    ssc: StreamingContext,
    topics: string[],
    kafkaParams: KafkaParams,
    fromOffsets?: Map<string, number> | Record<string, number>,
    options?: DirectStreamOptions,
  ): DirectKafkaInputDStream {
    checkContext(ssc, 'createDirectStream');
    const ts = checkTopics(topics);
    const params = resolveKafkaParams(kafkaParams);
    const from = parseFromOffsets(fromOffsets);
    // A scaled-out job (applicationId): the group assigns the partitions.
    const scaleOut = ScaleOut.of(ssc.graph);
    if (scaleOut && from.size > 0) {
      throw new KafkaConfigError('fromOffsets cannot be given in a scaled-out job (applicationId): partitions start from the offsets the group committed');
    }
    const stream = new DirectKafkaInputDStream(ssc.graph, ts, params, from, scaleOut ? { ...options, ownership: scaleOut } : options);
    ssc.addBatchHooks(stream.batchHooks);
    return stream;
  },

  /**
   * A receiver-based stream (PySpark's `createStream(ssc, zkQuorum, groupId, topics)`, with the
   * broker list in place of the ZooKeeper quorum): a kafkajs consumer in group `groupId` feeds a
   * Receiver (see KafkaReceiver). Offsets are committed to the group only after the records were
   * stored — with the context's write-ahead log on (`receiverWriteAheadLog: true` and a
   * checkpoint directory), after they are on disk, so nothing is lost on a crash and recovery
   * (getOrCreate) replays them. WITHOUT the write-ahead log, records held in memory when the
   * process dies are lost: their offsets were already committed.
   *
   * @param brokers comma-separated `host:port`
   * @param topics topic → number of consumer threads (partitions processed at once)
   * @param kafkaParams e.g. `"auto.offset.reset"` (where a new group starts, default latest)
   */
  createStream(
    ssc: StreamingContext,
    brokers: string,
    groupId: string,
    topics: Record<string, number>,
    kafkaParams?: KafkaParams,
    options?: ReceiverStreamOptions & KafkaReceiverOptions,
  ): ReceiverInputDStream<KafkaRecord> {
    checkContext(ssc, 'createStream');
    if (typeof ssc.receiverStream !== 'function') throw new KafkaConfigError('createStream needs a StreamingContext with receiverStream');
    if (typeof groupId !== 'string' || groupId === '') throw new KafkaConfigError('createStream needs a consumer group id');
    if (topics === null || typeof topics !== 'object' || Array.isArray(topics)) {
      throw new KafkaConfigError('createStream topics must be an object: topic → number of consumer threads');
    }
    const names = checkTopics(Object.keys(topics), 'createStream topics');
    for (const t of names) {
      const n = topics[t];
      if (!Number.isInteger(n) || (n as number) < 1) {
        throw new KafkaConfigError(`createStream topics["${t}"] must be a positive number of threads, got ${String(n)}`);
      }
    }
    const params = resolveKafkaParams({ ...kafkaParams, 'group.id': groupId }, brokers);
    const receiver = new KafkaReceiver(params, groupId, { ...topics }, options);
    return ssc.receiverStream(receiver, { name: `KafkaReceiver-${names.join(',')}`, ...options });
  },

  /**
   * The records of exact offset ranges, read now (a batch job's input): one partition per range,
   * in the order given, each in offset order. Fails (after the bounded retry) when a topic is
   * missing, Kafka is unreachable, or the offsets are no longer (or not yet) in Kafka.
   */
  async createRDD(
    ssc: StreamingContext | undefined,
    kafkaParams: KafkaParams,
    offsetRanges: OffsetRange[],
  ): Promise<RDD<[string | null, string]> & { offsetRanges(): OffsetRange[] }> {
    void ssc; // as in Spark, the context only says where the RDD belongs
    const ranges = checkOffsetRanges(offsetRanges, 'createRDD offsetRanges');
    const params = resolveKafkaParams(kafkaParams);
    const client = new KafkaClient(params);
    try {
      if (ranges.some((r) => r.untilOffset > r.fromOffset)) {
        const topics = [...new Set(ranges.map((r) => r.topic))];
        const bounds = await client.topicBounds(topics);
        const byKey = new Map(bounds.map((b) => [`${b.topic}:${b.partition}`, b]));
        for (const r of ranges) {
          if (r.untilOffset === r.fromOffset) continue;
          const b = byKey.get(`${r.topic}:${r.partition}`);
          if (!b) throw new KafkaConfigError(`createRDD: ${r.topic}:${r.partition} is not a partition of topic ${r.topic}`);
          if (r.untilOffset > b.high || r.fromOffset < b.low) {
            throw new KafkaConfigError(
              `createRDD: ${r.topic}:${r.partition} [${r.fromOffset}, ${r.untilOffset}) is outside what Kafka holds [${b.low}, ${b.high})`,
            );
          }
        }
      }
      const records = await client.read(ranges);
      return new KafkaRDD(ranges.length, ranges, records);
    } finally {
      await client.close();
    }
  },
};
