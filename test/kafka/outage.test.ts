// The broker going away in the middle of a run (a private broker of this file, never the shared
// one): a direct stream's batch waits, retrying with back-off, and the stream resumes with
// nothing lost once the broker is back; past `retry.timeout.ms` the batch fails loudly instead.
import { describe, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext, type CompletedBatchInfo, type KafkaRDD } from '../../src/index.js';
import { createTopic, produceLines, uniqueTopic, usePrivateBroker } from '../helpers/kafka.js';
import { sleep, sum } from './helpers.js';

const broker = usePrivateBroker();

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);

describe('direct stream and a broker outage', () => {
  it('a batch during a ~10 s outage waits and completes once the broker is back: every record read once', { timeout: 240_000 }, async () => {
    const topic = uniqueTopic('outage');
    await createTopic(topic, 2, broker.brokers);
    await produceLines(topic, lines('before', 100), { partitions: 2, brokers: broker.brokers });

    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const stream = KafkaUtils.createDirectStream(ssc, [topic], {
      'metadata.broker.list': broker.brokers,
      'auto.offset.reset': 'earliest',
    });
    const seen: string[] = [];
    const sizes: number[] = [];
    stream.foreachRDD((rdd) => {
      const ranges = (rdd as KafkaRDD).offsetRanges();
      sizes.push(rdd.count());
      expect(rdd.count()).toBe(sum(ranges.map((r) => r.untilOffset - r.fromOffset)));
      for (const [, v] of rdd.collect()) seen.push(v);
    });
    const batches: CompletedBatchInfo[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (i) => void batches.push(i) });
    await ssc.start();
    try {
      await clock.advance(1000);
      expect(seen.length).toBe(100);
      await produceLines(topic, lines('during', 50), { partitions: 2, brokers: broker.brokers });

      await broker.stop();
      const t0 = Date.now();
      // The next batch cannot look up offsets: it waits (advance does not resolve) …
      let done = false;
      const advancing = clock.advance(1000).then(() => (done = true));
      await sleep(10_000);
      expect(done).toBe(false);
      await broker.start();
      // … and completes once the broker is back.
      await advancing;
      const outage = Date.now() - t0;
      expect(outage).toBeGreaterThanOrEqual(10_000);

      await produceLines(topic, lines('after', 60), { partitions: 2, brokers: broker.brokers });
      await clock.advance(1000);
      expect(seen.sort()).toEqual([...lines('before', 100), ...lines('during', 50), ...lines('after', 60)].sort());
      expect(batches.every((b) => b.failureReason === undefined)).toBe(true);
      expect(ssc.state).toBe('active');
    } finally {
      await ssc.stop();
    }
  });

  it('past retry.timeout.ms the batch fails loudly and stops the context with the error', { timeout: 180_000 }, async () => {
    const topic = uniqueTopic('outage-fail');
    await createTopic(topic, 1, broker.brokers);
    await produceLines(topic, lines('x', 10), { brokers: broker.brokers });
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    let records = 0;
    KafkaUtils.createDirectStream(ssc, [topic], {
      'metadata.broker.list': broker.brokers,
      'auto.offset.reset': 'earliest',
      'retry.timeout.ms': 3000,
    }).foreachRDD((rdd) => void (records += rdd.count()));
    await ssc.start();
    await clock.advance(1000);
    expect(records).toBe(10);
    await broker.stop();
    try {
      const t0 = Date.now();
      await expect(clock.advance(1000)).rejects.toThrow(/Kafka did not answer/);
      expect(Date.now() - t0).toBeLessThan(30_000);
      await expect(ssc.awaitTermination()).rejects.toThrow(/looking up the offsets/);
      expect(ssc.state).toBe('stopped');
    } finally {
      await ssc.stop();
      await broker.start();
    }
  });
});
