// createStream with the write-ahead log: a graceful stop commits to the group every offset the
// receiver stored — including what came in while a commit was under way — so a restart of the
// group receives nothing twice (KafkaReceiver.onStop).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { KafkaUtils, StreamingContext, type KafkaReceiver } from '../../src/index.js';
import { createTopic, kafkaBrokers, kafkaClient, uniqueTopic } from '../helpers/kafka.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('a graceful stop while records keep coming commits everything stored and processed', { timeout: 60_000 }, async () => {
  const topic = uniqueTopic('rcv-graceful');
  const groupId = uniqueTopic('rcv-graceful-group');
  await createTopic(topic, 1);
  const dir = mkdtempSync(path.join(tmpdir(), 'kafka-graceful-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // Values are the records' offsets: one producer, one partition, a fresh topic.
  const producer = kafkaClient().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  let producing = true;
  let n = 0;
  const feeding = (async () => {
    while (producing) {
      await producer.send({ topic, messages: Array.from({ length: 10 }, () => ({ partition: 0, value: String(n++) })) });
      await sleep(20);
    }
  })();
  cleanups.push(async () => {
    producing = false;
    await feeding;
  });

  const ssc = new StreamingContext({ batchDuration: 400, receiverWriteAheadLog: true });
  ssc.checkpoint(dir);
  cleanups.push(() => ssc.stop());
  const stream = KafkaUtils.createStream(ssc, kafkaBrokers(), groupId, { [topic]: 1 }, { 'auto.offset.reset': 'earliest' });
  const receiver = stream.receiver as KafkaReceiver;
  let processedUpTo = 0;
  stream.foreachRDD((rdd) => {
    for (const [, v] of rdd.collect()) processedUpTo = Math.max(processedUpTo, Number(v) + 1);
  });
  await ssc.start();
  await sleep(2500);
  await ssc.stop({ graceful: true });
  producing = false;
  await feeding;

  expect(processedUpTo).toBeGreaterThan(0);
  const admin = kafkaClient().admin();
  await admin.connect();
  const [res] = await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.disconnect();
  const committed = Number(res!.partitions[0]!.offset);
  // What the job processed (the graceful stop ran every stored block) is what the group has.
  expect({ committed, counts: receiver.counts }).toMatchObject({ committed: processedUpTo });
});
