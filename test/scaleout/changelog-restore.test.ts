// A restarted copy's local checkpoint positions are only good for the tasks whose keys it kept:
// once keepOnly() dropped a task's keys (the group gave the copy other tasks), gaining that task
// later reads its changelog partition from the start, not only the tail after the old position
// (which brought back only the keys changed since, the others lost). Nor are the positions of a
// checkpoint an earlier version wrote (its changelog records may sit under untyped keys, which a
// whole read finds and rewrites: changelogKeys.ts). Against the real broker.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext, type StatefulDStream } from '../../src/index.js';
import { KafkaClient } from '../../src/kafka/client.js';
import { resolveKafkaParams } from '../../src/kafka/params.js';
import { keyString } from '../../src/kafka/partitioner.js';
import { StateChangelog } from '../../src/scaleout/changelog.js';
import { createTopic, kafkaBrokers, kafkaClient, uniqueTopic } from '../helpers/kafka.js';

describe('Changelog restore after keepOnly', () => {
  /** A copy restarted from a local checkpoint that had task 0 of the changelog up to offset 10 (`extra`: what it says). */
  async function restarted(extra: Record<string, unknown>) {
    const input = uniqueTopic('changelog-in');
    await createTopic(input, 2);
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const counts = KafkaUtils.createDirectStream(ssc, [input], { 'metadata.broker.list': kafkaBrokers() })
      .map(([, v]): [string, number] => [v, 1])
      .updateStateByKey<number>((vs, s) => (s ?? 0) + vs.length) as unknown as StatefulDStream<string, number>;
    counts.foreachRDD(() => undefined);
    const applicationId = `app-${randomUUID().slice(0, 8)}`;
    const topic = `${applicationId}-state${counts.id}-changelog`;
    await createTopic(topic, 2);
    // Partition 0 of the changelog: keys k0..k9, then k0 again (its offset 10 is the tail's start).
    const producer = kafkaClient().producer();
    await producer.connect();
    const record = (k: string, n: number) => ({ key: keyString(k), value: JSON.stringify([k, n]), partition: 0 });
    await producer.send({ topic, messages: [...Array.from({ length: 10 }, (_, i) => record(`k${i}`, i)), record('k0', 100)] });
    await producer.disconnect();
    counts.restoredExtra = extra;
    const host = {
      graph: ssc.graph,
      applicationId,
      partitionCount: () => 2,
      rangesOf: () => [],
      owns: () => true,
      reads: () => true,
    };
    const [changelog] = StateChangelog.forGraph(host) as StateChangelog[];
    const client = new KafkaClient(resolveKafkaParams({ 'metadata.broker.list': kafkaBrokers() }), () => false);
    return { changelog: changelog!, client, close: () => Promise.all([client.close(), ssc.stop()]) };
  }

  it('reads a gained task whole when the keys its local position described were dropped', async () => {
    const { changelog, client, close } = await restarted({ changelog: { 0: 10 }, typedKeys: true });
    try {
      // The group gave this copy task 1 only: task 0's keys are dropped. Later it gains task 0.
      changelog.keepOnly(new Set([1]));
      const counts0 = await changelog.restore(client, [0]);
      expect(counts0).toMatchObject({ fromLocal: 0, read: 11, keys: 10 });
    } finally {
      await close();
    }
  });

  it("reads a gained task whole when its position is an earlier version's (which wrote untyped record keys)", async () => {
    const { changelog, client, close } = await restarted({ changelog: { 0: 10 } });
    try {
      expect(await changelog.restore(client, [0])).toMatchObject({ fromLocal: 0, read: 11, keys: 10 });
    } finally {
      await close();
    }
  });
});
