// Spark's documented way to get a direct stream's offsets (and the book's): keep the ranges in
// `transform`, the first operation on the stream, then use them in `foreachRDD`. The ranges are
// decided before the batch's RDD reaches any user function (DirectKafkaInputDStream.prepareBatch).
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext, type OffsetRange } from '../../src/index.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';

const contexts: StreamingContext[] = [];
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
});

describe("Spark's offset idiom on a direct Kafka stream", () => {
  it('transform keeps rdd.offsetRanges(), foreachRDD uses them: every batch, ranges equal to what the batch counted', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('offset-idiom');
    await createTopic(topic, 3);
    await produceLines(topic, Array.from({ length: 900 }, (_, i) => `line ${i}`), { partitions: 3 });
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    contexts.push(ssc);
    const directKafkaStream = KafkaUtils.createDirectStream(ssc, [topic], {
      'metadata.broker.list': kafkaBrokers(),
      'auto.offset.reset': 'earliest',
      maxRatePerPartition: 100, // 100 records per partition per batch: three batches
    });

    // The book's pattern, with a map between transform and foreachRDD.
    let offsetRanges: OffsetRange[] = [];
    const printed: Array<{ time: number; ranges: OffsetRange[]; count: number; words: number }> = [];
    directKafkaStream
      .transform((rdd) => {
        offsetRanges = rdd.offsetRanges();
        return rdd;
      })
      .map(([, value]) => value.split(' ').length)
      .foreachRDD((rdd, time) => {
        const words = rdd.collect();
        printed.push({ time, ranges: offsetRanges, count: words.length, words: words.reduce((a, b) => a + b, 0) });
      });
    // offsetRanges() inside an element function, at any point of the batch.
    const inMap: number[] = [];
    directKafkaStream
      .transform((rdd) => rdd.map(() => rdd.offsetRanges().length))
      .foreachRDD((rdd) => void inMap.push(...new Set(rdd.collect())));

    await ssc.start();
    for (let i = 0; i < 4; i++) await clock.advance(1000);

    expect(printed.map((p) => p.time)).toEqual([1000, 2000, 3000, 4000]);
    const next = [0, 0, 0];
    for (const p of printed) {
      expect(p.ranges.map((r) => r.partition)).toEqual([0, 1, 2]);
      // The ranges are this batch's: they start where the previous batch's ended and hold what it counted.
      for (const r of p.ranges) {
        expect(r.topic).toBe(topic);
        expect(r.fromOffset).toBe(next[r.partition]);
        next[r.partition] = r.untilOffset;
      }
      expect(p.count).toBe(p.ranges.reduce((a, r) => a + r.untilOffset - r.fromOffset, 0));
      expect(p.words).toBe(2 * p.count);
    }
    expect(printed.map((p) => p.count)).toEqual([300, 300, 300, 0]);
    expect(next).toEqual([300, 300, 300]);
    expect(inMap).toEqual([3, 3, 3]);
  });
});
