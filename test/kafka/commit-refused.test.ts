// commitAsync to a group Kafka refuses the commit for (the group has active members: a
// kafkajs consumer or a createStream receiver uses the same group.id): it fails at once with
// Kafka's answer (UNKNOWN_MEMBER_ID), not after retry.timeout.ms as "Kafka did not answer".
import { afterEach, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext, type KafkaRDD } from '../../src/index.js';
import { createTopic, kafkaBrokers, kafkaClient, produceLines, uniqueTopic } from '../helpers/kafka.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('a commit Kafka refuses (the group has members) rejects at once with the protocol error', { timeout: 60_000 }, async () => {
  const topic = uniqueTopic('commit-refused');
  const groupId = uniqueTopic('commit-refused-group');
  await createTopic(topic, 1);
  await produceLines(topic, ['a', 'b', 'c'], { partition: 0 });
  const consumer = kafkaClient().consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  cleanups.push(() => consumer.disconnect());
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  await consumer.run({ autoCommit: false, eachMessage: async () => {} });
  await joined;

  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  cleanups.push(() => ssc.stop());
  const stream = KafkaUtils.createDirectStream(ssc, [topic], {
    'metadata.broker.list': kafkaBrokers(),
    'group.id': groupId,
    'auto.offset.reset': 'earliest',
    'retry.timeout.ms': 20_000,
  });
  let outcome: { ms: number; error: string } | undefined;
  stream.foreachRDD(async (rdd) => {
    const t0 = Date.now();
    const error = await stream.commitAsync((rdd as KafkaRDD).offsetRanges()).then(
      () => 'committed',
      (e: unknown) => (e as Error).message,
    );
    outcome = { ms: Date.now() - t0, error };
  });
  await ssc.start();
  await clock.advance(1000);
  expect(outcome?.error).toMatch(/committing offsets for group .*refused it with UNKNOWN_MEMBER_ID.*The coordinator is not aware of this member/);
  expect(outcome!.ms).toBeLessThan(5000);
});
