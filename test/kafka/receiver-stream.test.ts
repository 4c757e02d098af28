// KafkaUtils.createStream: the receiver-based stream (a kafkajs consumer group in a Receiver),
// with and without the write-ahead log, against the real broker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext, type KafkaReceiver, type KafkaReceiverEvent } from '../../src/index.js';
import { FileWriteAheadLog, receivedDataDir } from '../../src/receivers/index.js';
import { createTopic, kafkaBrokers, kafkaClient, produceLines, topicEndOffsets, uniqueTopic } from '../helpers/kafka.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function committed(groupId: string, topic: string): Promise<Record<number, number>> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const res = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries(res[0]!.partitions.map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);

describe('KafkaUtils.createStream (receiver)', () => {
  it('records produced to the topics arrive in batches, keys kept', { timeout: 90_000 }, async () => {
    const topic = uniqueTopic('recv');
    const groupId = uniqueTopic('recv-group');
    await createTopic(topic, 2);
    await produceLines(topic, lines('early', 40), { partitions: 2, key: (_l, i) => `k${i}` });
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const stream = KafkaUtils.createStream(ssc, kafkaBrokers(), groupId, { [topic]: 2 }, { 'auto.offset.reset': 'smallest' });
    const got: Array<[string | null, string]> = [];
    stream.foreachRDD((rdd) => void got.push(...rdd.collect()));
    const receiver = stream.receiver as KafkaReceiver;
    await ssc.start();
    await produceLines(topic, lines('late', 60), { partitions: 2 });
    await until(() => receiver.counts.stored >= 100, 'the receiver to store 100 records');
    await clock.advance(1000);
    expect(got.map(([, v]) => v).sort()).toEqual([...lines('early', 40), ...lines('late', 60)].sort());
    expect(got.find(([, v]) => v === 'early 7')?.[0]).toBe('k7');
    expect(got.find(([, v]) => v === 'late 7')?.[0]).toBeNull();
    await until(async () => JSON.stringify(await committed(groupId, topic)) === JSON.stringify(await topicEndOffsets(topic)), 'the commits');
  });

  it('with the write-ahead log, records are in the log before their offsets are committed', { timeout: 90_000 }, async () => {
    const topic = uniqueTopic('recv-wal');
    const groupId = uniqueTopic('recv-wal-group');
    await createTopic(topic, 3);
    const dir = mkdtempSync(path.join(tmpdir(), 'kafka-wal-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock, receiverWriteAheadLog: true });
    ssc.checkpoint(dir);
    cleanups.push(() => ssc.stop());
    const stream = KafkaUtils.createStream(ssc, kafkaBrokers(), groupId, { [topic]: 3 }, { 'auto.offset.reset': 'earliest' });
    const got: string[] = [];
    stream.foreachRDD((rdd) => void got.push(...rdd.collect().map(([, v]) => v)));
    const receiver = stream.receiver as KafkaReceiver;
    const events: KafkaReceiverEvent[] = [];
    // At each commit, the records the log holds must include every record below the committed offset.
    const checks: Array<Promise<void>> = [];
    receiver.onEvent = (e) => {
      events.push(e);
      if (e.type === 'committed') {
        checks.push(
          (async () => {
            const wal = await FileWriteAheadLog.open<[string | null, string]>(receivedDataDir(dir, stream.id));
            const logged = new Set((await wal.readAfter(-1)).flatMap((b) => b.records.map(([, v]) => v)));
            const expected = lines('w', 900).filter((_l, i) => i % 3 === e.partition).slice(0, e.offset);
            for (const v of expected) expect(logged.has(v), `${v} committed before it was logged`).toBe(true);
          })(),
        );
      }
    };
    await ssc.start();
    await produceLines(topic, lines('w', 900), { partitions: 3, batchSize: 100 });
    await until(async () => JSON.stringify(await committed(groupId, topic)) === JSON.stringify({ 0: 300, 1: 300, 2: 300 }), 'the commits');
    await Promise.all(checks);
    // Every commit comes after a store that reached at least its offset.
    for (const [i, e] of events.entries()) {
      if (e.type !== 'committed') continue;
      const stored = events.slice(0, i).filter((s) => s.type === 'stored' && s.partition === e.partition);
      expect(Math.max(...stored.map((s) => s.offset))).toBeGreaterThanOrEqual(e.offset);
    }
    expect(events.filter((e) => e.type === 'committed').length).toBeGreaterThan(0);
    await clock.advance(1000);
    expect(got.sort()).toEqual(lines('w', 900).sort());
    expect(stream.stats.walBytes).toBeGreaterThan(0);
  });

  it('checks its arguments', () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    expect(() => KafkaUtils.createStream(ssc, 'nohost', 'g', { t: 1 })).toThrow(/host:port/);
    expect(() => KafkaUtils.createStream(ssc, kafkaBrokers(), '', { t: 1 })).toThrow(/group id/);
    expect(() => KafkaUtils.createStream(ssc, kafkaBrokers(), 'g', { t: 0 })).toThrow(/threads/);
    expect(() => KafkaUtils.createStream(ssc, kafkaBrokers(), 'g', {})).toThrow(/topics/);
  });
});
