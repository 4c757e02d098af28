// How many records a direct stream's batch takes: maxRatePerPartition, minRatePerPartition,
// backpressure (Spark's maxMessagesPerPartition) — the rule alone, then on the real broker.
import { afterEach, describe, expect, it } from 'vitest';
import { DirectRateController } from '../../src/rate/DirectRateController.js';
import { KafkaUtils, ManualClock, StreamingContext, type KafkaRDD } from '../../src/index.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';

const base = { maxRatePerPartition: Infinity, minRatePerPartition: 1, backpressure: false, initialRate: Infinity, pidMinRate: 100 };
const lag = (...ls: number[]): Map<string, number> => new Map(ls.map((l, i) => [`t:${i}`, l]));

describe('DirectRateController', () => {
  it('no rate set: the default cap (rate/BatchCap.ts) shared by lag, never more than the cap in all', () => {
    const c = new DirectRateController(base, 1000);
    expect(c.maxMessagesPerPartition(lag(10, 20))).toEqual(lag(33_333, 66_667)); // 100 000 at first
    const shares = c.maxMessagesPerPartition(lag(1_000_000, 1, 0))!;
    expect([...shares.values()].reduce((a, b) => a + b)).toBe(100_000);
    // The job showed 50 000 records/s: a 1 s batch takes about that.
    c.onBatchCompleted(1000, 50_000, 1000, 0, 50_000 * 40, 100_000);
    expect([...c.maxMessagesPerPartition(lag(1e6, 1e6))!.values()]).toEqual([25_000, 25_000]);
    // maxRatePerPartition overrides the cap, however large.
    const spark = new DirectRateController({ ...base, maxRatePerPartition: 1e9 }, 1000);
    expect(spark.cap).toBeUndefined();
    expect(spark.maxMessagesPerPartition(lag(5e6))).toEqual(lag(1e9));
  });

  it('backpressure without initialRate starts from the default cap', () => {
    const c = new DirectRateController({ ...base, backpressure: true }, 2000);
    expect(c.estimatedRate).toBe(50_000); // 100 000 records per 2 s batch
  });

  it('maxRatePerPartition × batch seconds, at least minRatePerPartition', () => {
    const c = new DirectRateController({ ...base, maxRatePerPartition: 100 }, 2000);
    expect(c.maxMessagesPerPartition(lag(1000, 0))).toEqual(lag(200, 200));
    const slow = new DirectRateController({ ...base, maxRatePerPartition: 0.1, minRatePerPartition: 3 }, 1000);
    expect(slow.maxMessagesPerPartition(lag(1000))).toEqual(lag(3));
  });

  it('backpressure: the rate (initial, then estimated) shared by lag, each share capped by maxRatePerPartition', () => {
    const c = new DirectRateController({ ...base, backpressure: true, initialRate: 300, maxRatePerPartition: 150 }, 1000);
    expect(c.maxMessagesPerPartition(lag(100, 200, 0))).toEqual(lag(100, 150, 1));
    // The first completed batch only sets the starting point; the second gives an estimate.
    c.onBatchCompleted(1000, 1000, 500, 0); // 2,000 records/s processed
    expect(c.estimatedRate).toBe(300);
    c.onBatchCompleted(2000, 1000, 1000, 500); // 1,000 records/s, and behind schedule
    expect(c.estimatedRate).toBeLessThan(2000);
    expect(c.estimatedRate).toBeGreaterThanOrEqual(100);
    const est = c.estimatedRate;
    expect(c.maxMessagesPerPartition(lag(1, 3))).toEqual(lag(Math.floor(Math.min(est / 4, 150)), Math.floor(Math.min((3 * est) / 4, 150))));
  });
});

describe('direct stream rate limits on the broker', () => {
  const contexts: StreamingContext[] = [];
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.stop();
  });

  it('backpressure.initialRate limits the first batches; the estimate then follows how fast batches are processed', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('backpressure');
    await createTopic(topic, 2);
    await produceLines(topic, Array.from({ length: 4000 }, (_, i) => `r${i}`), { partitions: 2 });
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    contexts.push(ssc);
    const stream = KafkaUtils.createDirectStream(ssc, [topic], {
      'metadata.broker.list': kafkaBrokers(),
      'auto.offset.reset': 'earliest',
      backpressure: true,
      'backpressure.initialRate': 200,
    });
    const sizes: number[][] = [];
    stream.foreachRDD(async (rdd) => {
      sizes.push((rdd as KafkaRDD).offsetRanges().map((r) => r.untilOffset - r.fromOffset));
      await new Promise((r) => setTimeout(r, 50)); // processing takes time: the estimator has something to measure
    });
    // The estimate after each completed batch (batch hooks run in registration order: after the stream's).
    const estimates: number[] = [];
    ssc.addBatchHooks({ onBatchCompleted: () => void estimates.push(stream.estimatedRate) });
    await ssc.start();
    for (let i = 0; i < 4; i++) await clock.advance(1000);
    // 200 records/s over 1 s batches, shared by equal lags: 100 per partition.
    expect(sizes[0]).toEqual([100, 100]);
    // The first batch only sets the estimator's starting point; from the second on there is an
    // estimate (from ~200 records processed in ≥ 50 ms), and the next batch takes half of it per partition.
    expect(estimates[0]).toBe(200);
    expect(sizes[1]).toEqual([100, 100]);
    expect(estimates[1]).not.toBe(200);
    expect(Number.isFinite(estimates[1])).toBe(true);
    let consumed = 200;
    for (const i of [2, 3]) {
      // … or what is left of the 2,000 records of each partition.
      const per = Math.min(2000 - consumed, Math.max(1, Math.floor(estimates[i - 1]! / 2)));
      expect(sizes[i]).toEqual([per, per]);
      consumed += per;
    }
  });
});
