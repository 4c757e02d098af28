// A direct stream whose position is past its partition's log end — the topic deleted and
// recreated, or the broker's data wiped, under a running stream or a kept checkpoint; fromOffsets
// Kafka never reached — fails the batch, as Spark's KafkaRDD does ("Beginning offset X is after
// the ending offset Y"), instead of waiting with empty ranges and then reading the new log from
// the old position (the records below it silently skipped). A position above the last stable
// offset but not past the log end (a transaction open) is no error.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext } from '../../src/index.js';
import { createTopic, kafkaBrokers, recreateTopic, kafkaClient, produceLines, topicEndOffsets, uniqueTopic } from '../helpers/kafka.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const records = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);


interface Job {
  ssc: StreamingContext;
  clock: ManualClock;
  values: string[];
  /** awaitTermination's outcome: 'stopped' or the error's message. */
  termination: Promise<string>;
}

function job(
  topic: string,
  params: Record<string, string | number>,
  options: { fromOffsets?: Record<string, number>; dir?: string; now?: number } = {},
): Job {
  const clock = new ManualClock(options.now ?? 0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock, appName: 'past-log-end' });
  if (options.dir) ssc.checkpoint(options.dir);
  const values: string[] = [];
  KafkaUtils.createDirectStream(ssc, [topic], { 'metadata.broker.list': kafkaBrokers(), ...params }, options.fromOffsets).foreachRDD((rdd) => {
    values.push(...rdd.collect().map(([, v]) => v));
  });
  const termination = ssc.awaitTermination().then(
    () => 'stopped',
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
  return { ssc, clock, values, termination };
}

const pastEnd = (topic: string, position: number, end: number): RegExp =>
  new RegExp(`Beginning offset ${position} is after the ending offset ${end} for topic ${topic} partition 0.*past the partition's log end`);

describe('a direct stream position past the partition log end', () => {
  it('topic deleted and recreated under a running stream: the next batch fails naming topic, partition, position and log end; awaitTermination rejects', { timeout: 120_000 }, async () => {
    const topic = uniqueTopic('recreated');
    await createTopic(topic, 1);
    await produceLines(topic, records('old', 10), { partition: 0 });
    const j = job(topic, { 'auto.offset.reset': 'earliest', 'topic.wait.ms': 30_000 });
    cleanups.push(() => j.ssc.stop());
    await j.ssc.start();
    await j.clock.advance(1000);
    expect(j.values).toEqual(records('old', 10));

    // The new log is shorter than the position (10): a stream that waited with empty ranges would
    // read it from offset 10 once it grew, skipping new-0 … new-9.
    await recreateTopic(topic);
    await produceLines(topic, records('new', 4), { partition: 0 });
    await expect(j.clock.advance(1000)).rejects.toThrow(pastEnd(topic, 10, 4));
    expect(await j.termination).toMatch(pastEnd(topic, 10, 4));
    expect(j.ssc.state).toBe('stopped');
    expect(j.values.filter((v) => v.startsWith('new'))).toEqual([]);
  });

  it('topic recreated with fewer partitions under a running stream: the next batch fails naming the partition that is gone', { timeout: 120_000 }, async () => {
    const topic = uniqueTopic('recreated-fewer');
    await createTopic(topic, 2);
    await produceLines(topic, records('old', 10), { partitions: 2 });
    const j = job(topic, { 'auto.offset.reset': 'earliest', 'topic.wait.ms': 30_000 });
    cleanups.push(() => j.ssc.stop());
    await j.ssc.start();
    await j.clock.advance(1000);
    expect(j.values).toHaveLength(10);
    // Partition 0's new log reaches past its old position (5): only partition 1's absence tells.
    // Before: every later batch carried an empty range of partition 1, silently (found by review).
    await recreateTopic(topic, 1);
    await produceLines(topic, records('new', 10), { partition: 0 });
    const gone = new RegExp(`partition ${topic}:1 no longer exists \\(topic ${topic} has 1 now\\)`);
    await expect(j.clock.advance(1000)).rejects.toThrow(gone);
    expect(await j.termination).toMatch(gone);
  });

  it('restarted from a checkpoint kept while the topic was recreated: the first batch fails the same way', { timeout: 120_000 }, async () => {
    const topic = uniqueTopic('recreated-restart');
    await createTopic(topic, 1);
    await produceLines(topic, records('old', 10), { partition: 0 });
    const dir = mkdtempSync(path.join(tmpdir(), 'kafka-past-log-end-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const params = { 'auto.offset.reset': 'earliest' };
    const run1 = job(topic, params, { dir });
    await run1.ssc.start();
    await run1.clock.advance(1000);
    await run1.ssc.stop();
    expect(run1.values).toEqual(records('old', 10));

    await recreateTopic(topic);
    await produceLines(topic, records('new', 3), { partition: 0 });
    let run2!: Job;
    const ssc = await StreamingContext.getOrCreate(dir, () => {
      run2 = job(topic, params, { now: 1000 }); // the recovered context's next batch is 2000
      return run2.ssc;
    });
    cleanups.push(() => ssc.stop());
    expect(ssc.recoveredFrom).toBe(1000);
    await ssc.start();
    await expect(run2.clock.advance(1000)).rejects.toThrow(pastEnd(topic, 10, 3));
    expect(await run2.termination).toMatch(pastEnd(topic, 10, 3));
    expect(run2.values).toEqual([]);
  });

  it('fromOffsets past the log end fails the first batch; fromOffsets at the log end is an empty range, then reads what comes', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('from-past-end');
    await createTopic(topic, 1);
    await produceLines(topic, records('r', 5), { partition: 0 });

    const past = job(topic, {}, { fromOffsets: { [`${topic}:0`]: 8 } });
    cleanups.push(() => past.ssc.stop());
    await past.ssc.start();
    await expect(past.clock.advance(1000)).rejects.toThrow(pastEnd(topic, 8, 5));
    expect(await past.termination).toMatch(pastEnd(topic, 8, 5));

    const atEnd = job(topic, {}, { fromOffsets: { [`${topic}:0`]: 5 } });
    cleanups.push(() => atEnd.ssc.stop());
    await atEnd.ssc.start();
    await atEnd.clock.advance(1000);
    expect(atEnd.values).toEqual([]);
    await produceLines(topic, records('s', 2), { partition: 0 });
    await atEnd.clock.advance(1000);
    expect(atEnd.values).toEqual(records('s', 2));
    expect(atEnd.ssc.state).toBe('active');
  });

  it('a position above the last stable offset but not past the log end (a transaction open) is no error: empty ranges, then the records once it commits', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('open-transaction');
    await createTopic(topic, 1);
    await produceLines(topic, records('c', 3), { partition: 0 }); // offsets 0..2
    const producer = kafkaClient().producer({ transactionalId: `tx-${topic}`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const txn = await producer.transaction();
    await txn.send({ topic, messages: [{ value: 'tx-0', partition: 0 }, { value: 'tx-1', partition: 0 }] }); // offsets 3, 4
    // The admin's latest offset is the last stable offset: 3 while the transaction is open.
    expect((await topicEndOffsets(topic))[0]).toBe(3);

    // Positions 4 and 5 are above the last stable offset (3), not past the log end (5).
    const committed = job(topic, { 'isolation.level': 'read_committed' }, { fromOffsets: { [`${topic}:0`]: 4 } });
    const uncommitted = job(topic, {}, { fromOffsets: { [`${topic}:0`]: 5 } });
    cleanups.push(() => committed.ssc.stop(), () => uncommitted.ssc.stop());
    for (const j of [committed, uncommitted]) {
      await j.ssc.start();
      await j.clock.advance(1000);
      expect(j.values).toEqual([]);
      expect(j.ssc.state).toBe('active');
    }

    await txn.commit();
    // The commit marker (offset 5) moves the last stable offset to 6 (written by the coordinator soon after).
    const deadline = Date.now() + 30_000;
    while ((await topicEndOffsets(topic))[0]! < 6 && Date.now() < deadline) await sleep(100);
    await produceLines(topic, ['after'], { partition: 0 }); // offset 6
    for (const j of [committed, uncommitted]) {
      for (let i = 0; i < 5 && !j.values.includes('after'); i++) await j.clock.advance(1000);
      expect(j.ssc.state).toBe('active');
    }
    expect(committed.values).toEqual(['tx-1', 'after']);
    expect(uncommitted.values).toEqual(['after']);
  });
});
