// A direct Kafka batch interrupted after its offset ranges were decided (a crash, or here a
// failing output) is re-run after recovery with exactly the same ranges, even though more records
// arrived meanwhile: the ranges are checkpointed as soon as they are decided, as Spark
// checkpoints right after generating a batch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext, type KafkaRDD, type OffsetRange } from '../../src/index.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function job(dir: string, topic: string, seen: Map<number, OffsetRange[]>, failAt?: number) {
  return () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), checkpointDir: dir });
    const stream = KafkaUtils.createDirectStream(ssc, [topic], {
      'bootstrap.servers': kafkaBrokers(),
      'auto.offset.reset': 'earliest',
    });
    stream.foreachRDD((rdd, time) => {
      seen.set(time, (rdd as KafkaRDD).offsetRanges());
      if (time === failAt) throw new Error(`interrupted batch ${time}`);
    });
    return ssc;
  };
}

it('a batch interrupted after its ranges were decided re-reads exactly those ranges', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dstreams-inflight-'));
  dirs.push(dir);
  const topic = uniqueTopic('inflight');
  await createTopic(topic, 1);
  await produceLines(topic, Array.from({ length: 25 }, (_, i) => `a${i}`));

  const first = new Map<number, OffsetRange[]>();
  const ssc1 = await StreamingContext.getOrCreate(dir, job(dir, topic, first, 2000));
  await ssc1.start();
  const clock1 = ssc1.clock as ManualClock;
  await clock1.advance(1000);
  expect(first.get(1000)).toEqual([{ topic, partition: 0, fromOffset: 0, untilOffset: 25 }]);
  await produceLines(topic, Array.from({ length: 10 }, (_, i) => `b${i}`));
  await expect(clock1.advance(1000)).rejects.toThrow('interrupted batch 2000');
  await expect(ssc1.awaitTermination()).rejects.toThrow('interrupted batch 2000');
  expect(first.get(2000)).toEqual([{ topic, partition: 0, fromOffset: 25, untilOffset: 35 }]);

  // More records arrive while the job is down.
  await produceLines(topic, Array.from({ length: 30 }, (_, i) => `c${i}`));

  const second = new Map<number, OffsetRange[]>();
  const ssc2 = await StreamingContext.getOrCreate(dir, job(dir, topic, second));
  expect(ssc2.recoveredFrom).toBe(1000);
  await ssc2.start();
  await (ssc2.clock as ManualClock).advance(3000);
  await ssc2.stop();
  expect(second.get(2000)).toEqual(first.get(2000));
  expect(second.get(3000)).toEqual([{ topic, partition: 0, fromOffset: 35, untilOffset: 65 }]);
});
