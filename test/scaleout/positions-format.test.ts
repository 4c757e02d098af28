// Where a gained partition starts (starts.ts), and the positions records that tell it: a record
// now says, for each input topic, how many partitions the topic had when the job first read it
// (so a partition numbered above is one added since, read from its start); records of earlier
// versions, without it, are still read. The records against the run's real broker.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KafkaClient } from '../../src/kafka/client.js';
import { resolveKafkaParams } from '../../src/kafka/params.js';
import { TaskProducer } from '../../src/kafka/taskProducer.js';
import { positionsRecord, readTaskPositions, type TaskPositions } from '../../src/scaleout/positions.js';
import { decideStarts, type StartFacts } from '../../src/scaleout/starts.js';
import { createTopic, kafkaBrokers, uniqueTopic } from '../helpers/kafka.js';

describe('positions records', () => {
  it("reads an earlier version's record (no partition count) and this version's", async () => {
    const topic = uniqueTopic('positions-format');
    await createTopic(topic, 2);
    const client = new KafkaClient(resolveKafkaParams({ 'metadata.broker.list': kafkaBrokers() }), () => false);
    const producer = new TaskProducer(client.kafka, `tp-${randomUUID()}`, `tp-group-${randomUUID()}`);
    try {
      // Task 0 as earlier versions wrote it; task 1 with the input's partition count at the job's start.
      await producer.commitBatch([{ topic, partition: 0, key: 'positions', value: JSON.stringify([['in', 0, 7]]) }], []);
      await producer.commitBatch([positionsRecord(topic, 1, [{ topic: 'in', partition: 1, offset: 9 }], new Map([['in', 6]]))], []);
      const read = await readTaskPositions(client, topic);
      expect(read.offsets).toEqual(new Map([['in:0', 7], ['in:1', 9]]));
      expect(read.started).toEqual(new Map([['in', 6]]));
    } finally {
      await producer.close();
      await client.close();
    }
  });
});

describe('where a gained partition starts', () => {
  const none = (): TaskPositions => ({ offsets: new Map(), started: new Map() });
  const facts = (over: Partial<StartFacts>): StartFacts => ({
    partitions: [],
    bounds: [0, 1, 2, 3].map((partition) => ({ topic: 'in', partition, low: 5, high: 50 })),
    own: none(),
    committed: new Map(),
    isInternal: () => false,
    reset: 'latest',
    started: new Map(),
    everyTask: async () => none(),
    ...over,
  });
  const parts = (...ps: number[]) => ps.map((partition) => ({ topic: 'in', partition }));

  it('latest, the job starting: at the end now, recorded before a batch reads it', async () => {
    const s = await decideStarts(facts({ partitions: parts(0, 1) }));
    expect(s.start).toEqual(new Map([['in:0', 50], ['in:1', 50]]));
    expect([...s.record]).toEqual([0, 1]);
    expect(s.started).toEqual(new Map([['in', 4]]));
  });

  it('a partition added since the job first read the topic: from its start, whatever the reset', async () => {
    const s = await decideStarts(facts({ partitions: parts(3), everyTask: async () => ({ offsets: new Map([['in:0', 10]]), started: new Map([['in', 3]]) }) }));
    expect(s.start).toEqual(new Map([['in:3', 5]]));
    expect([...s.record]).toEqual([]);
  });

  it('a job of an earlier version (no partition count recorded): above its highest placed partition is new; below, by the reset', async () => {
    const committed = new Map([['in:0', 10], ['in:2', 12]]);
    const s = await decideStarts(facts({ partitions: parts(1, 3), committed }));
    expect(s.start).toEqual(new Map([['in:1', 50], ['in:3', 5]]));
    expect([...s.record]).toEqual([1]);
  });

  it('a known position wins: the later of the positions record and the group', async () => {
    const own = { offsets: new Map([['in:0', 30]]), started: new Map([['in', 4]]) };
    const s = await decideStarts(facts({ partitions: parts(0), own, committed: new Map([['in:0', 20]]) }));
    expect(s.start).toEqual(new Map([['in:0', 30]]));
    expect([...s.record]).toEqual([]);
  });
});
