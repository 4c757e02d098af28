/**
 * PySpark's KafkaUtils for dstreams: the direct approach (`createDirectStream`, `createRDD`) and
 * the receiver-based one (`createStream`). Records are `[key, value]` pairs decoded as UTF-8
 * (`null` key when a record has none; a `null` value reads as `''`) unless the direct approach is
 * given a keyDecoder/valueDecoder.
 */
import type { StreamingContext } from '../context/StreamingContext.js';
import { DirectKafkaInputDStream, type DirectStreamOptions } from '../direct/DirectKafkaInputDStream.js';
import { namesEveryPartitionRead } from '../direct/completeOffsets.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import type { RDD } from '../rdd/RDD.js';
import type { ReceiverStreamOptions } from '../receivers/options.js';
import type { ReceiverInputDStream } from '../receivers/ReceiverInputDStream.js';
import { KafkaReceiver, type KafkaReceiverOptions } from '../receivers/KafkaReceiver.js';
import { KafkaClient } from '../kafka/client.js';
import type { Decoder, KafkaRecord } from '../kafka/records.js';
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

export type { Decoder, KafkaRecord } from '../kafka/records.js';
export { RecordDecodeError } from '../kafka/records.js';

function checkContext(ssc: StreamingContext, what: string): void {
  if (!ssc || typeof ssc !== 'object' || !('graph' in ssc) || typeof ssc.addBatchHooks !== 'function') {
    throw new KafkaConfigError(`${what} needs a StreamingContext as its first argument`);
  }
}

type FromOffsets = Map<string, number> | Record<string, number>;
/** How ranges are read (the decoders are arguments of their own). */
type ReadOnlyOptions = Pick<DirectStreamOptions, 'read'>;

/**
 * A stream without a receiver: each batch reads exactly the offset ranges the driver decided
 * for it (see DirectKafkaInputDStream). Every RDD has `offsetRanges()`; the stream has
 * `commitAsync(offsetRanges)`.
 *
 * @param topics topics to read, all their partitions
 * @param kafkaParams `"metadata.broker.list"` or `"bootstrap.servers"`, optional `"group.id"`,
 *   `"auto.offset.reset"`, `maxRatePerPartition`, `backpressure`, `"retry.timeout.ms"` (see KafkaParams)
 * @param fromOffsets where to start, `"topic:partition"` → offset (Map or object); partitions
 *   not named start from the offsets `group.id` committed, else as `auto.offset.reset` says —
 *   except with a sink's stored offsets (storedFromOffsets), which name every partition of their
 *   topics the job read: a partition of those topics they do not name starts at its log start
 * @param keyDecoder, valueDecoder (PySpark's order) turn a record's key and value bytes — `null`
 *   when absent — into the pair's elements, as each record is read. Without them: UTF-8, a
 *   missing key `null`, a missing value `''`. A decoder that throws fails the batch (and so the
 *   context: awaitTermination rejects) with a RecordDecodeError naming topic, partition, offset.
 */
function createDirectStream(
  ssc: StreamingContext,
  topics: string[],
  kafkaParams: KafkaParams,
  fromOffsets?: FromOffsets,
  options?: ReadOnlyOptions,
): DirectKafkaInputDStream;
function createDirectStream<K = string | null, V = string>(
  ssc: StreamingContext,
  topics: string[],
  kafkaParams: KafkaParams,
  fromOffsets: FromOffsets | undefined,
  keyDecoder: Decoder<K> | undefined,
  valueDecoder?: Decoder<V>,
  options?: ReadOnlyOptions,
): DirectKafkaInputDStream<K, V>;
function createDirectStream<K, V>(
  ssc: StreamingContext,
  topics: string[],
  kafkaParams: KafkaParams,
  fromOffsets?: FromOffsets,
  keyDecoderOrOptions?: Decoder<K> | ReadOnlyOptions,
  valueDecoder?: Decoder<V>,
  options?: ReadOnlyOptions,
): DirectKafkaInputDStream<K, V> {
  checkContext(ssc, 'createDirectStream');
  const ts = checkTopics(topics);
  const params = resolveKafkaParams(kafkaParams);
  const from = parseFromOffsets(fromOffsets);
  // A scaled-out job (applicationId): the group assigns the partitions.
  const scaleOut = ScaleOut.of(ssc.graph);
  if (scaleOut && from.size > 0) {
    throw new KafkaConfigError('fromOffsets cannot be given in a scaled-out job (applicationId): partitions start from the offsets the group committed');
  }
  // The fifth argument is the keyDecoder (API.md, PySpark), or the options when no decoder is given.
  const keyDecoder = typeof keyDecoderOrOptions === 'object' && keyDecoderOrOptions !== null ? undefined : keyDecoderOrOptions;
  const opts = keyDecoder === keyDecoderOrOptions ? options : (keyDecoderOrOptions as ReadOnlyOptions);
  const stream = new DirectKafkaInputDStream<K, V>(ssc.graph, ts, params, from, {
    ...opts,
    keyDecoder: keyDecoder as Decoder<K> | undefined,
    valueDecoder,
    ...(scaleOut ? { ownership: scaleOut } : {}),
    ...(namesEveryPartitionRead(fromOffsets) ? { addedPartitionsFromLogStart: true } : {}),
  });
  ssc.addBatchHooks(stream.batchHooks);
  return stream;
}

/**
 * The records of exact offset ranges, read now (a batch job's input): one partition per range,
 * in the order given, each in offset order. Fails (after the bounded retry) when a topic is
 * missing, Kafka is unreachable, or the offsets are no longer (or not yet) in Kafka.
 * keyDecoder/valueDecoder as in createDirectStream (UTF-8 without them); a decoder that throws
 * rejects with a RecordDecodeError naming topic, partition and offset. With `"isolation.level":
 * "read_committed"` the records of aborted transactions are left out (as in the direct stream),
 * and a range must end at or before the partition's last stable offset (no open transaction
 * below its end).
 */
function createRDD(
  ssc: StreamingContext | undefined,
  kafkaParams: KafkaParams,
  offsetRanges: OffsetRange[],
): Promise<RDD<[string | null, string]> & { offsetRanges(): OffsetRange[] }>;
function createRDD<K = string | null, V = string>(
  ssc: StreamingContext | undefined,
  kafkaParams: KafkaParams,
  offsetRanges: OffsetRange[],
  keyDecoder: Decoder<K> | undefined,
  valueDecoder?: Decoder<V>,
): Promise<RDD<[K, V]> & { offsetRanges(): OffsetRange[] }>;
async function createRDD<K, V>(
  ssc: StreamingContext | undefined,
  kafkaParams: KafkaParams,
  offsetRanges: OffsetRange[],
  keyDecoder?: Decoder<K>,
  valueDecoder?: Decoder<V>,
): Promise<RDD<[K, V]> & { offsetRanges(): OffsetRange[] }> {
  void ssc; // as in Spark, the context only says where the RDD belongs
  const ranges = checkOffsetRanges(offsetRanges, 'createRDD offsetRanges');
  for (const [name, d] of [['keyDecoder', keyDecoder], ['valueDecoder', valueDecoder]] as const) {
    if (d !== undefined && typeof d !== 'function') throw new KafkaConfigError(`createRDD ${name} must be a function (bytes: Buffer | null) => ${name.slice(0, -7)}`);
  }
  const params = resolveKafkaParams(kafkaParams);
  // isolation.level read_committed: records of aborted transactions are left out, as in the direct stream.
  const readOptions = params.readCommitted ? { readCommitted: true } : {};
  const client = new KafkaClient(params);
  try {
    if (ranges.some((r) => r.untilOffset > r.fromOffset)) {
      const topics = [...new Set(ranges.map((r) => r.topic))];
      const bounds = await client.topicBounds(topics);
      const byKey = new Map(bounds.map((b) => [`${b.topic}:${b.partition}`, b]));
      const nonEmpty = ranges.filter((r) => r.untilOffset > r.fromOffset);
      for (const r of nonEmpty) {
        if (!byKey.has(`${r.topic}:${r.partition}`)) throw new KafkaConfigError(`createRDD: ${r.topic}:${r.partition} is not a partition of topic ${r.topic}`);
      }
      // `high` is the last stable offset; the log end is past it while a transaction is open.
      const pastStable = nonEmpty.filter((r) => r.untilOffset > byKey.get(`${r.topic}:${r.partition}`)!.high);
      const logEnd = await client.logEndOffsets(pastStable);
      for (const r of nonEmpty) {
        const b = byKey.get(`${r.topic}:${r.partition}`)!;
        const end = Math.max(b.high, logEnd.get(`${r.topic}:${r.partition}`) ?? b.high);
        if (r.untilOffset > end || r.fromOffset < b.low) {
          throw new KafkaConfigError(
            `createRDD: ${r.topic}:${r.partition} [${r.fromOffset}, ${r.untilOffset}) is outside what Kafka holds [${b.low}, ${end})`,
          );
        }
        // read_committed reads only below the last stable offset (ReadOptions.readCommitted).
        if (params.readCommitted && r.untilOffset > b.high) {
          throw new KafkaConfigError(
            `createRDD: ${r.topic}:${r.partition} [${r.fromOffset}, ${r.untilOffset}) ends after the last stable offset ${b.high} ` +
              `(a transaction is open from there, up to the log end ${end}): with isolation.level read_committed a range must end at or before it`,
          );
        }
      }
    }
    const { records } = await client.readSized(ranges, readOptions, keyDecoder || valueDecoder ? { keyDecoder, valueDecoder } : undefined);
    return new KafkaRDD<K, V>(ranges.length, ranges, records);
  } finally {
    await client.close();
  }
}

export const KafkaUtils = {
  createDirectStream,

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

  createRDD,

};
