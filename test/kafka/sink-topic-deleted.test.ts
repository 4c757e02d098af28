// KafkaSink: its topic deleted while it writes (the broker re-creates it on demand, with 1
// partition instead of 3): the next write fails saying so, not with "out of order sequence
// number", and a write after that starts afresh on the new topic. Real broker.
import { describe, expect, it } from 'vitest';
import { KafkaSink, KafkaSinkError } from '../../src/index.js';
import { MemoryStream } from '../../src/sql/index.js';
import { createTopic, deleteTopicAndWait, kafkaBrokers, uniqueTopic } from '../helpers/kafka.js';
import { session, tempDir } from '../sql/helpers.js';

describe('KafkaSink, topic deleted under it', () => {
  it('fails the next write naming the topic and its partitions before and now', { timeout: 90_000 }, async () => {
    const topic = uniqueTopic('sink-deleted');
    await createTopic(topic, 3);
    const sink = new KafkaSink<[string, string]>({ brokers: kafkaBrokers(), topic });
    const batch = (from: number): Array<[string, string]> => Array.from({ length: 300 }, (_, i) => [`k${from + i}`, `v${from + i}`]);
    try {
      await sink.write(batch(0));
      await sink.write(batch(300)); // the sink has now seen the topic's 3 partitions
      await deleteTopicAndWait(topic);
      const error = await sink.write(batch(600)).then(
        () => undefined,
        (e: unknown) => e,
      );
      const message = (error as Error).message;
      expect(message).toContain(`topic ${topic}`);
      expect(message).toMatch(/deleted and created again/);
      expect(error).toBeInstanceOf(KafkaSinkError);
      // Usually Kafka refuses the send (out of order sequence number); should it take it, the offsets tell.
      expect(message).toMatch(/it has 1 partition now, 3 partitions before|partition \d+ took records at offset \d+, though the sink had written offset/);
      // Told once: the next write goes to the topic as it is now.
      expect(await sink.write(batch(900))).toBe(300);
    } finally {
      await sink.close();
    }
  });
});

describe("writeStream.format('kafka'), topic deleted under it", () => {
  it('fails the batch naming the topic and its partitions before and now', { timeout: 90_000 }, async () => {
    const topic = uniqueTopic('sql-sink-deleted');
    await createTopic(topic, 3);
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const q = input.toDF().writeStream.format('kafka').option('kafka.bootstrap.servers', kafkaBrokers()).option('topic', topic).option('checkpointLocation', tempDir()).start();
    try {
      input.addData(...Array.from({ length: 300 }, (_, i) => `v${i}`));
      await q.processAllAvailable();
      await deleteTopicAndWait(topic);
      input.addData(...Array.from({ length: 300 }, (_, i) => `w${i}`));
      await q.processAllAvailable().catch(() => undefined);
      const message = String((q.exception() as Error | null)?.message);
      expect(message).toContain(`topic ${topic}`);
      expect(message).toMatch(/deleted and created again while the sink wrote to it: it has 1 partition now, 3 partitions before/);
    } finally {
      await q.stop().catch(() => undefined);
    }
  });
});
