// What a scaled-out copy writes to Kafka per task and batch: repartition records are bundles
// (every key's values for one partition, cut below Kafka's message limit), and a task's
// transaction goes out in produce requests small enough for the broker, in order, with the
// offset after each partition's last record. The transaction against the real broker.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KafkaClient } from '../../src/kafka/client.js';
import { resolveKafkaParams } from '../../src/kafka/params.js';
import { TaskProducer, type TaskRecord } from '../../src/kafka/taskProducer.js';
import { positionsRecord, readPositions } from '../../src/scaleout/positions.js';
import { bundles, unbundle } from '../../src/scaleout/repartitionByKey.js';
import { createTopic, kafkaBrokers, uniqueTopic } from '../helpers/kafka.js';

describe('repartition bundles', () => {
  it('carry every pair in order, one key’s values together; a large set is cut into records below 128 Ki characters', () => {
    const small: Array<[string, number[]]> = [
      ['a', [1, 2]],
      ['b', [3]],
    ];
    expect(bundles(small)).toHaveLength(1);
    expect(unbundle<string, number>(bundles(small)[0]!)).toEqual([
      ['a', 1],
      ['a', 2],
      ['b', 3],
    ]);
    const large: Array<[string, string[]]> = Array.from({ length: 3000 }, (_, i) => [`key-${i}`, ['x'.repeat(100), `v${i}`]]);
    const records = bundles(large);
    expect(records.length).toBeGreaterThan(2);
    for (const r of records) expect(r.length).toBeLessThanOrEqual(128 * 1024);
    expect(records.flatMap((r) => unbundle<string, string>(r))).toEqual(large.flatMap(([k, vs]) => vs.map((v) => [k, v])));
  });

  it('reads a record of one key’s values, as earlier versions wrote', () => {
    expect(unbundle<string, number>(JSON.stringify(['w', [1, 1]]))).toEqual([
      ['w', 1],
      ['w', 1],
    ]);
  });
});

describe('TaskProducer (real broker)', () => {
  it('commits a transaction larger than one produce request: every record once, in order, and the offset after each partition’s last', async () => {
    const topic = uniqueTopic('task-producer');
    await createTopic(topic, 2);
    const client = new KafkaClient(resolveKafkaParams({ 'metadata.broker.list': kafkaBrokers() }), () => false);
    const producer = new TaskProducer(client.kafka, `tp-${randomUUID()}`, `tp-group-${randomUUID()}`);
    try {
      // ~1.2 M characters: several requests of at most 256 Ki characters.
      const records: TaskRecord[] = Array.from({ length: 3000 }, (_, i) => ({ topic, partition: i % 2, key: `k${i}`, value: `${i}:${'y'.repeat(400)}` }));
      const ends = await producer.commitBatch(records, []);
      expect(ends.get(`${topic}:0`)).toBe(1500);
      expect(ends.get(`${topic}:1`)).toBe(1500);
      const read = await client.read(
        [0, 1].map((partition) => ({ topic, partition, fromOffset: 0, untilOffset: 1500 })),
        { readCommitted: true },
      );
      for (const partition of [0, 1]) {
        expect(read[partition]!.map(([k]) => k)).toEqual(records.filter((r) => r.partition === partition).map((r) => r.key));
      }
    } finally {
      await producer.close();
      await client.close();
    }
  });

  it('positions: a gained task reads the offsets of its last committed transaction, past aborted ones and markers', async () => {
    const topic = uniqueTopic('positions');
    await createTopic(topic, 2);
    const client = new KafkaClient(resolveKafkaParams({ 'metadata.broker.list': kafkaBrokers() }), () => false);
    const producer = new TaskProducer(client.kafka, `tp-${randomUUID()}`, `tp-group-${randomUUID()}`);
    try {
      expect(await readPositions(client, topic, [0, 1])).toEqual(new Map());
      // 3 committed transactions of task 1, then 20 aborted ones (40 offsets: more than the first read window).
      for (let i = 1; i <= 3; i++) await producer.commitBatch([positionsRecord(topic, 1, [{ topic: 'in', partition: 1, offset: i * 100 }])], []);
      const raw = (producer as unknown as { producer: { transaction(): Promise<{ send(r: unknown): Promise<unknown>; abort(): Promise<void> }> } }).producer;
      for (let i = 0; i < 20; i++) {
        const txn = await raw.transaction();
        const { key, value } = positionsRecord(topic, 1, [{ topic: 'in', partition: 1, offset: 999 }]);
        await txn.send({ topic, messages: [{ partition: 1, key, value }] });
        await txn.abort();
      }
      expect(await readPositions(client, topic, [0, 1])).toEqual(new Map([['in:1', 300]]));
    } finally {
      await producer.close();
      await client.close();
    }
  });
});
