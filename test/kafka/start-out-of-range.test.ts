// A direct stream whose first position Kafka no longer holds (fromOffsets or a checkpoint below
// the log start: records deleted by retention). The first batch, which samples record sizes there
// for the default cap before it reads, fails naming the partition, the offset and what Kafka holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext } from '../../src/index.js';
import { createTopic, kafkaBrokers, kafkaClient, produceLines, uniqueTopic } from '../helpers/kafka.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function deleteBelow(topic: string, partition: number, offset: number): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics: [topic] }); // kafkajs's deleteTopicRecords needs it loaded
    await admin.deleteTopicRecords({ topic, partitions: [{ partition, offset: String(offset) }] });
  } finally {
    await admin.disconnect();
  }
}

function job(topic: string, clock: ManualClock, fromOffsets?: Record<string, number>, dir?: string): StreamingContext {
  const ssc = new StreamingContext({ batchDuration: 1000, clock, appName: 'start-oor' });
  if (dir) ssc.checkpoint(dir);
  KafkaUtils.createDirectStream(ssc, [topic], { 'metadata.broker.list': kafkaBrokers(), 'auto.offset.reset': 'earliest' }, fromOffsets).foreachRDD(() => {});
  return ssc;
}

it('fromOffsets below the log start: the first batch fails naming topic, partition, offset and range', async () => {
  const topic = uniqueTopic('from-oor');
  await createTopic(topic, 2);
  await produceLines(topic, Array.from({ length: 16 }, (_, i) => `v${i}`), { partitions: 2 });
  await deleteBelow(topic, 1, 6);
  const clock = new ManualClock();
  const ssc = job(topic, clock, { [`${topic}:0`]: 0, [`${topic}:1`]: 1 });
  cleanups.push(() => ssc.stop());
  await ssc.start();
  await expect(clock.advance(1000)).rejects.toThrow(
    new RegExp(`reading ${topic}:1 from offset 1 .*offsets out of range.*${topic}:1 holds offsets \\[6, 8\\)`),
  );
});

it('a checkpointed position below the log start (deleted while the job was down): the same', { timeout: 30_000 }, async () => {
  const topic = uniqueTopic('ckpt-oor');
  await createTopic(topic, 1);
  await produceLines(topic, Array.from({ length: 4 }, (_, i) => `a${i}`), { partition: 0 });
  const dir = mkdtempSync(path.join(tmpdir(), 'kafka-ckpt-oor-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const c1 = new ManualClock();
  const first = await StreamingContext.getOrCreate(dir, () => job(topic, c1, undefined, dir), { log: () => {} });
  await first.start();
  await c1.advance(1000);
  await first.stop();
  await produceLines(topic, Array.from({ length: 4 }, (_, i) => `b${i}`), { partition: 0 });
  await deleteBelow(topic, 0, 6);
  const c2 = new ManualClock(1000);
  const second = await StreamingContext.getOrCreate(dir, () => job(topic, c2, undefined, dir), { log: () => {} });
  cleanups.push(() => second.stop());
  await second.start();
  await expect(c2.advance(1000)).rejects.toThrow(new RegExp(`reading ${topic}:0 from offset 4 .*offsets out of range.*holds offsets \\[6, 8\\)`));
});
