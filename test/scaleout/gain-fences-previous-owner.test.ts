// A task's new owner fences its previous owner when it opens the task's producer — before it
// reads the task's positions (assignment.ts gain): the old owner's open transaction is aborted and
// its commit refused, so a batch is never committed by both. kafkajs's connect() alone fences
// nobody (its InitProducerId carries no transactional id): in the review's chaos run a paused
// copy committed a batch after its task moved, and the new owner committed it again.
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaClient } from '../../src/kafka/client.js';
import { resolveKafkaParams } from '../../src/kafka/params.js';
import { TaskProducer } from '../../src/kafka/taskProducer.js';
import { positionsRecord, readTaskPositions } from '../../src/scaleout/positions.js';
import { createTopic, kafkaBrokers, uniqueTopic } from '../helpers/kafka.js';

describe('gaining a task', () => {
  it('fences the previous owner at open: its open transaction is aborted and its commit refused', { timeout: 60_000 }, async () => {
    const app = uniqueTopic('fence');
    const positions = `${app}-positions`;
    const input = `${app}-in`;
    await createTopic(positions, 1);
    await createTopic(input, 1);
    const kafka = new Kafka({ clientId: 'fence-test', brokers: kafkaBrokers().split(','), logLevel: logLevel.NOTHING });
    const client = new KafkaClient(resolveKafkaParams({ 'metadata.broker.list': kafkaBrokers() }));
    const pos = (o: number) => positionsRecord(positions, 0, [{ topic: input, partition: 0, offset: o }]);
    const old = new TaskProducer(kafka, `${app}-task-0`, app);
    const neu = new TaskProducer(kafka, `${app}-task-0`, app);
    try {
      // The old owner committed [0, 10) and is in the middle of [10, 20): records sent, not committed.
      await old.open();
      await old.commitBatch([pos(10)], []);
      const txn = await (old as unknown as { producer: Producer }).producer.transaction();
      await txn.send({ topic: positions, messages: [{ partition: 0, key: 'positions', value: JSON.stringify([[input, 0, 20]]) }] });

      // The new owner gains the task: opens its producer, then reads where the task resumes.
      await neu.open();
      const resumeAt = (await readTaskPositions(client, positions, [0])).offsets.get(`${input}:0`);
      expect(resumeAt).toBe(10);
      // The old owner's commit of [10, 20) comes too late: refused.
      await expect(txn.commit()).rejects.toThrow(/epoch|fenced/i);
      await neu.commitBatch([pos(20)], []);

      const [{ high }] = await client.topicBounds([positions]);
      const [records] = await client.read([{ topic: positions, partition: 0, fromOffset: 0, untilOffset: high }], { readCommitted: true });
      // [10, 20) committed once, by the new owner.
      expect(records!.map(([, v]) => JSON.parse(v as string) as unknown)).toEqual([[[input, 0, 10]], [[input, 0, 20]]]);
    } finally {
      await old.close();
      await neu.close();
      await client.close();
    }
  });
});
