// A direct Kafka batch's size is known only once its offset ranges are decided; listeners must
// still see the right numRecords in onBatchCompleted.
import { afterEach, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext, type CompletedBatchInfo } from '../../src/index.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';

const contexts: StreamingContext[] = [];
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
});

it('onBatchCompleted reports the records a direct Kafka batch read', async () => {
  const topic = uniqueTopic('numrecords');
  await createTopic(topic, 2);
  await produceLines(topic, Array.from({ length: 250 }, (_, i) => `line ${i}`), { partitions: 2 });

  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  contexts.push(ssc);
  const stream = KafkaUtils.createDirectStream(ssc, [topic], {
    'bootstrap.servers': kafkaBrokers(),
    'auto.offset.reset': 'earliest',
  });
  let read = 0;
  stream.foreachRDD((rdd) => {
    read += rdd.count();
  });
  const completed: CompletedBatchInfo[] = [];
  ssc.addStreamingListener({ onBatchCompleted: (info) => void completed.push(info) });

  await ssc.start();
  for (let i = 0; i < 30 && read < 250; i++) await clock.advance(1000);

  expect(read).toBe(250);
  expect(completed.reduce((n, b) => n + b.numRecords, 0)).toBe(250);
  expect(completed[0]!.numRecords).toBe(250);
});
