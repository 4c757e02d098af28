/**
 * `repartitionByKey(numPartitions?)`: a shuffle through Kafka for a scaled-out job (Kafka Streams'
 * repartition topic). Each batch's pairs are written to `<applicationId>-repartition-<n>`, keyed
 * by the key (partition = Kafka's default partitioner, so a key always lands in the same
 * partition), and read back by a direct stream of that topic, which the group assigns like any
 * input: the stateful step after it sees every record of a key on the one copy that owns the
 * key's partition.
 *
 * A record is a bundle: every key's values made from one input partition in one batch that go
 * to one partition of the topic (`{"pairs":[[key, [v1, v2, …]], …]}`, cut at RECORD_BYTES of
 * UTF-8 — between keys, or between one key's values: a hot key's values are then in consecutive
 * records, read back in order), so a batch writes about (input partitions × topic partitions)
 * records, not one per key — Kafka's per-record cost (encoding, CRC, decoding) dominated a
 * scaled-out copy's CPU with one record per key. The partition is chosen by the key (Kafka's default partitioner), so a key always lands in
 * the same partition. A record `[key, [v1, …]]` (one key: what earlier versions wrote) is read too.
 *
 * When things happen: batch t's pairs are staged by an output operation and written in the
 * transaction of the input partition they were made from, when batch t completes (with that
 * partition's offsets: a replay never writes them twice). They are committed then, so the
 * earliest batch that can read them back is t + 1: one batch of extra latency per
 * repartitionByKey (more when batches queue).
 *
 * The pairs must still carry their input partition: only narrow operations (map, flatMap,
 * filter, mapValues…) may stand between the direct Kafka stream and repartitionByKey.
 */
import { DStream } from '../dstream/DStream.js';
import { DirectKafkaInputDStream } from '../direct/DirectKafkaInputDStream.js';
import { kafkaInputsOf } from './kafkaInputs.js';
import { partitionForKey } from '../kafka/partitioner.js';
import { codeOf } from '../rdd/keyCode.js';
import { RECORD_BYTES, type TaskRecord } from '../kafka/taskProducer.js';
import { ScaleOut } from './ScaleOut.js';

declare module '../dstream/DStream.js' {
  interface DStream<T> {
    /**
     * Scale-out (a context with an `applicationId`): send the pairs through the internal topic
     * `<applicationId>-repartition-<n>` keyed by their key, so the step after it is partitioned
     * by key across the job's copies. `numPartitions` defaults to the input topics' partition
     * count. Adds one batch of latency. Keys and values must be JSON-serialisable.
     */
    repartitionByKey<K, V>(this: DStream<[K, V]>, numPartitions?: number): DStream<[K, V]>;
  }
}

DStream.prototype.repartitionByKey = function <K, V>(this: DStream<[K, V]>, numPartitions?: number): DStream<[K, V]> {
  const scaleOut = ScaleOut.of(this.graph);
  if (!scaleOut) {
    throw new Error('repartitionByKey needs a scaled-out job: new StreamingContext({ …, applicationId }) (its copies share the work through Kafka)');
  }
  if (numPartitions !== undefined && (!Number.isInteger(numPartitions) || numPartitions < 1)) {
    throw new RangeError(`repartitionByKey numPartitions must be a positive integer, got ${numPartitions}`);
  }
  const sources = kafkaInputsOf(this as DStream<unknown>);
  if (sources.length !== 1) {
    throw new Error(`repartitionByKey needs exactly one direct Kafka stream upstream, found ${sources.length}`);
  }
  const source = sources[0]!;
  const topic = scaleOut.addRepartitionTopic(numPartitions);
  this.foreachRDD((rdd, time) => {
    const ranges = scaleOut.rangesOf(time, source.topics);
    if (rdd.numPartitions !== ranges.length) {
      throw new Error(
        `repartitionByKey: batch ${time} has ${rdd.numPartitions} partitions but read ${ranges.length} Kafka partitions — ` +
          'only narrow operations (map, flatMap, filter, mapValues…) may stand between the Kafka stream and repartitionByKey',
      );
    }
    const n = scaleOut.partitionCount(topic);
    for (let i = 0; i < rdd.numPartitions; i++) {
      // Each key's values in order (a key's values reach the step after in the order they were made);
      // keys compare as the state compares them: 1 and "1" are two keys (the bundle's JSON keeps their types).
      const byKey = new Map<unknown, [K, V[]]>();
      rdd.iteratePartition(i, ([k, v]) => {
        const code = codeOf(k);
        const e = byKey.get(code);
        if (e) e[1].push(v);
        else byKey.set(code, [k, [v]]);
      });
      const byPartition = new Map<number, Array<[K, V[]]>>();
      for (const kv of byKey.values()) {
        const p = partitionForKey(kv[0], n);
        const l = byPartition.get(p);
        if (l) l.push(kv);
        else byPartition.set(p, [kv]);
      }
      const records: TaskRecord[] = [];
      for (const [partition, pairs] of byPartition) for (const value of bundles(pairs)) records.push({ topic, partition, key: '', value });
      scaleOut.stage(time, ranges[i]!.partition, records);
    }
  });
  const back = new DirectKafkaInputDStream(this.graph, [topic], { ...source.params, groupId: scaleOut.applicationId, autoOffsetReset: 'earliest' }, new Map(), {
    ownership: scaleOut,
  });
  scaleOut.addStream(back);
  return back.flatMap(([, value]) => unbundle<K, V>(value));
};

interface Bundle<K, V> {
  pairs: Array<[K, V[]]>;
}

/** The pairs of a repartition record, in order: a bundle, or one key's values (`[key, [v1, …]]`). */
export function unbundle<K, V>(value: string): Array<[K, V]> {
  const parsed = JSON.parse(value) as Bundle<K, V> | [K, V[]];
  const out: Array<[K, V]> = [];
  for (const [k, vs] of Array.isArray(parsed) ? [parsed] : parsed.pairs) for (const v of vs) out.push([k, v]);
  return out;
}

/** The bytes of `{"pairs":[` and `]}`. */
const BUNDLE_HEAD = 12;

/**
 * `pairs` as bundle records of at most `budget` UTF-8 bytes each (a single value longer than that
 * is a record of its own: the broker refuses it if it is over its limit), their values in order.
 */
export function bundles<K, V>(pairs: Array<[K, V[]]>, budget = RECORD_BYTES): string[] {
  const json = JSON.stringify({ pairs } satisfies Bundle<K, V>);
  // Most batches: one record (counted in bytes only when its characters could be too many).
  if (json.length * 3 <= budget || Buffer.byteLength(json) <= budget) return [json];
  const out: string[] = [];
  /** The bundle being filled: its pairs' JSON, its bytes. */
  let done: string[] = [];
  let size = BUNDLE_HEAD;
  for (const [k, vs] of pairs) {
    // As an array's element: undefined (and functions) are null.
    const key = JSON.stringify(k) ?? 'null';
    const open = Buffer.byteLength(key) + 6; // `[key,[` `]]` and the comma before it
    let values: string[] = [];
    let pairSize = open;
    for (const v of vs) {
      const value = JSON.stringify(v) ?? 'null';
      const n = Buffer.byteLength(value) + 1;
      if (size + pairSize + n > budget && (done.length > 0 || values.length > 0)) {
        // Full: the key's values so far end this bundle, the rest start the next one.
        if (values.length > 0) done.push(`[${key},[${values.join(',')}]]`);
        out.push(`{"pairs":[${done.join(',')}]}`);
        done = [];
        size = BUNDLE_HEAD;
        values = [];
        pairSize = open;
      }
      values.push(value);
      pairSize += n;
    }
    done.push(`[${key},[${values.join(',')}]]`);
    size += pairSize;
  }
  if (done.length > 0) out.push(`{"pairs":[${done.join(',')}]}`);
  return out;
}
