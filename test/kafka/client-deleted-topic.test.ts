// A topic the client looked up before and that was deleted since (a pattern subscription whose set
// shrank) does not fail the lookups of the topics that remain: kafkajs's admin keeps refreshing the
// metadata of every topic it was asked about, so the client looks them up on a fresh admin.
import { describe, expect, it } from 'vitest';
import { KafkaClient } from '../../src/kafka/client.js';
import { resolveKafkaParams } from '../../src/kafka/params.js';
import { createTopic, kafkaBrokers, kafkaClient, produceLines, uniqueTopic } from '../helpers/kafka.js';

describe('KafkaClient.topicBounds after a topic it knew was deleted', () => {
  it('looks up the remaining topics at once, and a lookup of the deleted one still says it does not exist', { timeout: 60_000 }, async () => {
    const [a, b] = [uniqueTopic('kept'), uniqueTopic('deleted')];
    await createTopic(a, 1);
    await createTopic(b, 1);
    await produceLines(a, ['x', 'y'], { partition: 0 });
    const client = new KafkaClient(resolveKafkaParams({ 'bootstrap.servers': kafkaBrokers(), 'topic.wait.ms': 3000 }));
    const admin = kafkaClient().admin();
    await admin.connect();
    try {
      expect((await client.topicBounds([a, b])).map((p) => p.topic)).toEqual([a, b]);
      await admin.deleteTopics({ topics: [b] });
      // Before: every lookup failed for topic.wait.ms with "the topic does not exist" (found by review).
      const t0 = Date.now();
      expect(await client.topicBounds([a])).toEqual([{ topic: a, partition: 0, low: 0, high: 2 }]);
      expect(Date.now() - t0).toBeLessThan(2500);
      await expect(client.topicBounds([b])).rejects.toThrow(/does not exist/);
    } finally {
      await admin.disconnect();
      await client.close();
    }
  });
});
