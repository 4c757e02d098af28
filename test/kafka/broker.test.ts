// Integration tests against the real Kafka broker started by test/setup/kafka.global.ts
// (scripts/kafka.sh), and the helpers other Kafka tests build on.
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import {
  addPartitions,
  consumeMessages,
  createTopic,
  kafkaBrokers,
  produceLines,
  startPrivateBroker,
  topicEndOffsets,
  uniqueTopic,
  type PrivateBroker,
} from '../helpers/kafka.js';

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('local Kafka broker', () => {
  it('is provided to the tests', () => {
    expect(kafkaBrokers()).toMatch(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/);
  });

  it('round-trips 1,000 messages through a 3-partition topic', async () => {
    const topic = uniqueTopic('broker-roundtrip');
    await createTopic(topic, 3);
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}`);
    const res = await produceLines(topic, lines, { partitions: 3, key: (_l, i) => `k${i % 7}` });
    expect(res.sent).toBe(1000);
    expect(res.byPartition).toEqual({ 0: 334, 1: 333, 2: 333 });
    expect(await topicEndOffsets(topic)).toEqual({ 0: 334, 1: 333, 2: 333 });

    const records = await consumeMessages(topic, 1000);
    expect(records).toHaveLength(1000);
    expect(records.map((r) => r.value).sort()).toEqual([...lines].sort());
    // Round-robin placement, in order within each partition, keys kept.
    for (const p of [0, 1, 2]) {
      const inP = records.filter((r) => r.partition === p);
      expect(inP.map((r) => r.offset)).toEqual(inP.map((_r, j) => j));
      expect(inP.map((r) => r.value)).toEqual(lines.filter((_l, i) => i % 3 === p));
    }
    expect(records.find((r) => r.value === 'line 10')?.key).toBe('k3');
  });

  it('produces 40,000 lines split evenly over the partitions and can add partitions', async () => {
    const topic = uniqueTopic('broker-bulk');
    await createTopic(topic, 2);
    const lines = Array.from({ length: 40_000 }, (_, i) => `the quick brown fox ${i} jumps over the lazy dog`);
    await produceLines(topic, lines, { partitions: 2 });
    expect(await topicEndOffsets(topic)).toEqual({ 0: 20_000, 1: 20_000 });

    await addPartitions(topic, 4);
    await produceLines(topic, ['a', 'b', 'c', 'd'], { partitions: 4 });
    expect(await topicEndOffsets(topic)).toEqual({ 0: 20_001, 1: 20_001, 2: 1, 3: 1 });
  });
});

describe('stopping and restarting a broker', () => {
  let broker: PrivateBroker | undefined;
  afterAll(async () => {
    await broker?.destroy();
  });

  it('keeps the topic data across a stop and a start', { timeout: 180_000 }, async () => {
    broker = await startPrivateBroker();
    const { brokers } = broker;
    const topic = uniqueTopic('broker-restart');
    await createTopic(topic, 3, brokers);
    const before = Array.from({ length: 600 }, (_, i) => `before ${i}`);
    await produceLines(topic, before, { partitions: 3, brokers });

    await broker.stop();
    expect(await portAnswers(broker.port)).toBe(false);
    await broker.start();
    expect(await portAnswers(broker.port)).toBe(true);

    expect(await topicEndOffsets(topic, brokers)).toEqual({ 0: 200, 1: 200, 2: 200 });
    const after = ['after 0', 'after 1', 'after 2'];
    await produceLines(topic, after, { partitions: 3, brokers });
    const records = await consumeMessages(topic, 603, { brokers });
    expect(records.map((r) => r.value).sort()).toEqual([...before, ...after].sort());
    expect(records.filter((r) => r.partition === 1).map((r) => r.value).slice(-2)).toEqual(['before 598', 'after 1']);
  });
});
