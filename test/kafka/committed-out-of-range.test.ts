// A direct stream starting from the offsets its consumer group committed, when Kafka no longer
// holds them (records deleted by retention, the topic recreated): auto.offset.reset applies, as
// for Kafka's consumer (and Spark's driver consumer); with `none` start() fails naming the
// partition, the committed offset and the range Kafka holds.
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext, type KafkaRDD, type OffsetRange } from '../../src/index.js';
import { checkPositions } from '../../src/direct/cutRanges.js';
import { KafkaClient } from '../../src/kafka/client.js';
import { resolveKafkaParams } from '../../src/kafka/params.js';
import { createTopic, kafkaBrokers, kafkaClient, produceLines, uniqueTopic } from '../helpers/kafka.js';

const contexts: StreamingContext[] = [];
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
});

/** A topic of one partition holding v0…v9, records below `deleteBelow` deleted, and a group that committed `committed`. */
async function setup(committed: number, deleteBelow = 0): Promise<{ topic: string; group: string }> {
  const topic = uniqueTopic('committed-oor');
  const group = uniqueTopic('committed-oor-group');
  await createTopic(topic, 1);
  await produceLines(topic, Array.from({ length: 10 }, (_, i) => `v${i}`), { partition: 0 });
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics: [topic] }); // kafkajs's deleteTopicRecords needs it loaded
    if (deleteBelow > 0) await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: String(deleteBelow) }] });
  } finally {
    await admin.disconnect();
  }
  // As commitAsync commits (kafkajs's admin.setOffsets joins the group: seconds).
  const client = new KafkaClient(resolveKafkaParams({ 'metadata.broker.list': kafkaBrokers() }));
  try {
    await client.commit(group, new Map([[`${topic}:0`, { topic, partition: 0, offset: committed }]]));
  } finally {
    await client.close();
  }
  return { topic, group };
}

async function firstBatch(topic: string, group: string, reset: string): Promise<{ ranges: OffsetRange[]; values: string[] }> {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  contexts.push(ssc);
  const got: Array<{ ranges: OffsetRange[]; values: string[] }> = [];
  KafkaUtils.createDirectStream(ssc, [topic], { 'metadata.broker.list': kafkaBrokers(), 'group.id': group, 'auto.offset.reset': reset }).foreachRDD((rdd) => {
    got.push({ ranges: (rdd as KafkaRDD).offsetRanges(), values: rdd.collect().map(([, v]) => v) });
  });
  await ssc.start();
  await clock.advance(1000);
  return got[0]!;
}

describe('committed offsets Kafka no longer holds', () => {
  it('below the log start (deleted by retention): earliest starts at the log start, latest at the end', async () => {
    const a = await setup(2, 6);
    const early = await firstBatch(a.topic, a.group, 'earliest');
    expect(early.ranges.map((r) => [r.fromOffset, r.untilOffset])).toEqual([[6, 10]]);
    expect(early.values).toEqual(['v6', 'v7', 'v8', 'v9']);
    const late = await firstBatch(a.topic, a.group, 'latest');
    expect(late.ranges.map((r) => [r.fromOffset, r.untilOffset])).toEqual([[10, 10]]);
  });

  it('past the log end (the topic recreated): reset as configured, not a failed batch', async () => {
    const a = await setup(100);
    const early = await firstBatch(a.topic, a.group, 'earliest');
    expect(early.values).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
  });

  it('auto.offset.reset none: start() fails naming topic, partition, committed offset and range', async () => {
    const a = await setup(2, 6);
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    contexts.push(ssc);
    KafkaUtils.createDirectStream(ssc, [a.topic], { 'metadata.broker.list': kafkaBrokers(), 'group.id': a.group, 'auto.offset.reset': 'none' }).foreachRDD(() => {});
    await expect(ssc.start()).rejects.toThrow(new RegExp(`offset 2 consumer group "${a.group}" committed for topic ${a.topic} partition 0 is out of the range Kafka holds \\[6, 10\\]`));
  });

  it('auto.offset.reset none without a committed offset: start() fails naming the partition', async () => {
    const a = await setup(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    contexts.push(ssc);
    const other = uniqueTopic('no-commits');
    KafkaUtils.createDirectStream(ssc, [a.topic], { 'metadata.broker.list': kafkaBrokers(), 'group.id': other, 'auto.offset.reset': 'none' }).foreachRDD(() => {});
    await expect(ssc.start()).rejects.toThrow(new RegExp(`consumer group "${other}" has no committed offset for topic ${a.topic} partition 0`));
  });

  it('a position past the log end names where it came from: a group offset is not "start without this checkpoint"', () => {
    const keys = [{ topic: 't', partition: 0, key: 't:0' }];
    const fail = (origin: 'group' | 'checkpoint' | 'fromOffsets'): string => {
      try {
        checkPositions(keys, new Map([['t:0', 100]]), new Map([['t:0', 10]]), () => origin, 'g1');
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(fail('group')).toMatch(/Beginning offset 100 is after the ending offset 10 for topic t partition 0 \(the offset consumer group "g1" committed\)/);
    expect(fail('group')).not.toMatch(/without this checkpoint/);
    expect(fail('fromOffsets')).toMatch(/given by fromOffsets/);
    expect(fail('checkpoint')).toMatch(/without this checkpoint/);
  });
});
