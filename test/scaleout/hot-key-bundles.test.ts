// A hot key through repartitionByKey: 12 000 values of ~110 characters for one key from one
// input partition in one batch (~1.3 MB). Its bundle was never cut below one key, so the record
// was over Kafka's default 1 MB max.message.bytes and the commit failed (MESSAGE_TOO_LARGE, on
// every restart). Now a key's values are cut across consecutive records of at most 128 KiB, read
// back in order: the state after it is the same as the job's without applicationId (which needs
// no repartitionByKey). The run's real broker.
import { describe, expect, it } from 'vitest';
import { KafkaUtils, StreamingContext, type DStream } from '../../src/index.js';
import { KafkaClient } from '../../src/kafka/client.js';
import { resolveKafkaParams } from '../../src/kafka/params.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { sleep, tempDir } from './copies.js';

const HOT = 12_000;
/** Hot events on partition 0, cold ones (10 keys) on partition 1. */
const LINES = Array.from({ length: HOT }, (_, i) => [`hot ${'x'.repeat(100)}${i}`, `cold${i % 10} y`]).flat();

/** Per key: how many values, and a hash of them in the order the state saw them. */
type Seen = [number, number];
const fold = (vs: string[], s: Seen | undefined): Seen | undefined => {
  if (vs.length === 0) return s;
  let [n, h] = s ?? [0, 0];
  for (const v of vs) {
    n++;
    for (let i = 0; i < v.length; i++) h = (Math.imul(h, 31) + v.charCodeAt(i)) >>> 0;
  }
  return [n, h];
};

function job(topic: string, app?: string) {
  const ssc = new StreamingContext({ batchDuration: 500, checkpointDir: tempDir('hot-key-'), ...(app ? { applicationId: app } : {}) });
  const pairs = KafkaUtils.createDirectStream(ssc, [topic], {
    'metadata.broker.list': kafkaBrokers(),
    'auto.offset.reset': 'earliest',
    'session.timeout.ms': 6000,
    ...(app ? {} : { 'group.id': `ref-${topic}` }),
  }).map(([, line]): [string, string] => [line.split(' ')[0]!, line]);
  const keyed: DStream<[string, string]> = app ? pairs.repartitionByKey<string, string>() : pairs;
  let state = new Map<string, Seen>();
  keyed.updateStateByKey<Seen>(fold).foreachRDD((rdd) => void (state = new Map(rdd.collect())));
  let failure: unknown;
  void ssc.awaitTermination().catch((e: unknown) => (failure = e));
  return {
    ssc,
    state: () => state,
    async until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
      for (const t0 = Date.now(); !cond(); await sleep(100)) {
        if (failure !== undefined) throw new Error(`the job failed before ${what}: ${(failure as Error).message}`);
        if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
      }
    },
    failed: () => failure,
  };
}

describe('a hot key through repartitionByKey', () => {
  it('has its values cut across records below 1 MB and read back in order: the state is the job’s without applicationId', { timeout: 120_000 }, async () => {
    const topic = uniqueTopic('hot-key');
    await createTopic(topic, 2);
    await produceLines(topic, LINES, { partitions: 2 });
    const app = `hot-key-${Date.now().toString(36)}`;
    const ref = job(topic);
    const scaled = job(topic, app);
    await Promise.all([ref.ssc.start(), scaled.ssc.start()]);
    const all = (s: Map<string, Seen>): boolean => s.get('hot')?.[0] === HOT && [...Array(10).keys()].every((i) => s.get(`cold${i}`)?.[0] === HOT / 10);
    try {
      await ref.until(() => all(ref.state()), 'the reference counting every line');
      await scaled.until(() => all(scaled.state()), 'the scaled-out job counting every line');
      expect(new Map([...scaled.state()].sort())).toEqual(new Map([...ref.state()].sort()));
    } finally {
      await Promise.all([ref.ssc.stop(), scaled.ssc.stop()]);
    }
    expect(scaled.failed()).toBeUndefined();

    // What went through the repartition topic: the hot key's batch in records of at most 128 KiB.
    const client = new KafkaClient(resolveKafkaParams({ 'metadata.broker.list': kafkaBrokers() }), () => false);
    try {
      const repartition = `${app}-repartition-1`;
      const bounds = await client.topicBounds([repartition]);
      const parts = await client.read(bounds.map((b) => ({ topic: repartition, partition: b.partition, fromOffset: b.low, untilOffset: b.high })), { readCommitted: true });
      const sizes = parts.flat().map(([, v]) => Buffer.byteLength(v ?? ''));
      const hot = parts.flat().filter(([, v]) => v?.includes('"hot"')).length;
      console.log(`${repartition}: ${sizes.length} records (${hot} with the hot key) of ${sizes.join(', ')} bytes`);
      expect(hot).toBeGreaterThanOrEqual(10);
      for (const n of sizes) expect(n).toBeLessThanOrEqual(128 * 1024);
    } finally {
      await client.close();
    }
  });
});
