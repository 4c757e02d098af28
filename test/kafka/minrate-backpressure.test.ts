// minRatePerPartition with backpressure and the default cap (Spark's maxMessagesPerPartition:
// max(secs × rate, minRatePerPartition) per partition): a partition with a small lag next to one
// with a large backlog still gets its minimum, never more than it has.
import { afterEach, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext, type KafkaRDD } from '../../src/index.js';
import { DirectRateController } from '../../src/rate/DirectRateController.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';

const contexts: StreamingContext[] = [];
afterEach(async () => {
  for (const c of contexts.splice(0)) await c.stop();
});

it('the rule: the default cap bounds backpressure, but not below minRatePerPartition', () => {
  const c = new DirectRateController(
    { maxRatePerPartition: Infinity, minRatePerPartition: 3, backpressure: true, initialRate: Infinity, pidMinRate: 100, batchCap: { maxRecords: 100 } },
    1000,
  );
  const lag = new Map([
    ['t:0', 100_000],
    ['t:1', 2],
  ]);
  const shares = c.maxMessagesPerPartition(lag)!;
  expect(shares.get('t:1')).toBe(3); // the cap's lag share is 0
  expect(shares.get('t:0')).toBeLessThanOrEqual(100);
});

it('on the broker: the small partition is read alongside the backlog', { timeout: 30_000 }, async () => {
  const topic = uniqueTopic('minrate-bp');
  await createTopic(topic, 2);
  await produceLines(topic, Array.from({ length: 1000 }, (_, i) => `a${i}`), { partition: 0 });
  await produceLines(topic, ['b0', 'b1'], { partition: 1 });
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  contexts.push(ssc);
  const stream = KafkaUtils.createDirectStream(ssc, [topic], {
    'metadata.broker.list': kafkaBrokers(),
    'auto.offset.reset': 'earliest',
    backpressure: true,
    minRatePerPartition: 1,
    maxRecordsPerBatch: 100,
  });
  const ranges: Array<Array<[number, number, number]>> = [];
  stream.foreachRDD((rdd) => void ranges.push((rdd as KafkaRDD).offsetRanges().map((r) => [r.partition, r.fromOffset, r.untilOffset])));
  await ssc.start();
  for (let i = 0; i < 3; i++) await clock.advance(1000);
  // Partition 1 takes one record a batch (its minimum), then stops at its end.
  expect(ranges.map((b) => b[1])).toEqual([
    [1, 0, 1],
    [1, 1, 2],
    [1, 2, 2],
  ]);
  for (const b of ranges) expect(b[0]![2] - b[0]![1]).toBeLessThanOrEqual(100);
});
