// The direct stream reads a batch's records while the batch before it runs (one batch ahead):
// the fetch overlaps processing, and each batch still gets exactly its own ranges.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext, type KafkaRDD } from '../../src/index.js';
import { KafkaClient } from '../../src/kafka/client.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';

const contexts: StreamingContext[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const ssc of contexts.splice(0)) await ssc.stop();
});

const until = async (cond: () => boolean, what: string): Promise<void> => {
  const end = Date.now() + 30_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('direct stream read-ahead', () => {
  it('reads the next batch while the current batch runs, and each batch gets exactly its ranges', { timeout: 120_000 }, async () => {
    const topic = uniqueTopic('readahead');
    await createTopic(topic, 1);
    await produceLines(
      topic,
      Array.from({ length: 20 }, (_, i) => `line ${i}`),
    );
    const reads = vi.spyOn(KafkaClient.prototype, 'readSized');
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    contexts.push(ssc);
    const stream = KafkaUtils.createDirectStream(ssc, [topic], {
      'metadata.broker.list': kafkaBrokers(),
      'auto.offset.reset': 'smallest',
      maxRatePerPartition: 5,
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const batches: { values: string[]; from: number; until: number }[] = [];
    stream.foreachRDD(async (rdd) => {
      const r = (rdd as KafkaRDD).offsetRanges()[0]!;
      batches.push({ values: rdd.collect().map(([, v]) => v), from: r.fromOffset, until: r.untilOffset });
      if (batches.length === 1) await gate;
    });
    await ssc.start();
    const advancing = clock.advance(4000);
    await until(() => batches.length === 1, 'the first batch to run');
    const readsBefore = reads.mock.calls.length;
    // The first batch's output is held: the second batch's read happens meanwhile.
    await until(() => reads.mock.calls.length >= 2, 'the second batch to be read while the first runs');
    expect(readsBefore).toBeGreaterThanOrEqual(1);
    expect(batches).toHaveLength(1);
    release();
    await advancing;
    expect(batches.map((b) => [b.from, b.until])).toEqual([
      [0, 5],
      [5, 10],
      [10, 15],
      [15, 20],
    ]);
    expect(batches.flatMap((b) => b.values)).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i}`));
  });
});
