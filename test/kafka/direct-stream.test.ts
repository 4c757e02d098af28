// KafkaUtils.createDirectStream against the real broker (test/setup/kafka.global.ts): the book's
// "Shakespeare via Kafka" wordcount, partitions, offsets, exact ranges.
import { afterEach, describe, expect, it } from 'vitest';
import {
  KafkaUtils,
  ManualClock,
  StreamingContext,
  type CompletedBatchInfo,
  type DirectKafkaInputDStream,
  type KafkaRDD,
  type OffsetRange,
} from '../../src/index.js';
import { addPartitions, createTopic, kafkaBrokers, kafkaClient, produceLines, topicEndOffsets, uniqueTopic } from '../helpers/kafka.js';
import { advanceUntil, countWords, shakespeareLines, sum, words } from './helpers.js';

const contexts: StreamingContext[] = [];
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
});

function context(batchDuration = 1000): { ssc: StreamingContext; clock: ManualClock } {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration, clock });
  contexts.push(ssc);
  return { ssc, clock };
}

/** Every batch's offset ranges, by batch time, recorded from the stream's own RDDs. */
function recordRanges(stream: DirectKafkaInputDStream): Map<number, { ranges: OffsetRange[]; count: number }> {
  const seen = new Map<number, { ranges: OffsetRange[]; count: number }>();
  stream.foreachRDD((rdd, time) => {
    seen.set(time, { ranges: (rdd as KafkaRDD).offsetRanges(), count: rdd.count() });
  });
  return seen;
}

function consumedUntil(seen: Map<number, { ranges: OffsetRange[] }>): Map<string, number> {
  const m = new Map<string, number>();
  for (const { ranges } of seen.values()) {
    for (const r of ranges) m.set(`${r.topic}:${r.partition}`, Math.max(m.get(`${r.topic}:${r.partition}`) ?? 0, r.untilOffset));
  }
  return m;
}

/** Ranges of each partition across batches: contiguous, starting at `start`, each batch's count = its ranges' size. */
function expectContiguous(seen: Map<number, { ranges: OffsetRange[]; count: number }>, start: Record<string, number>): void {
  const next = new Map(Object.entries(start));
  for (const t of [...seen.keys()].sort((a, b) => a - b)) {
    const { ranges, count } = seen.get(t)!;
    expect(count).toBe(sum(ranges.map((r) => r.untilOffset - r.fromOffset)));
    for (const r of ranges) {
      const k = `${r.topic}:${r.partition}`;
      expect(r.fromOffset, `batch ${t} ${k}`).toBe(next.get(k) ?? 0);
      expect(r.untilOffset).toBeGreaterThanOrEqual(r.fromOffset);
      next.set(k, r.untilOffset);
    }
  }
}

describe('KafkaUtils.createDirectStream', () => {
  it('wordcount over shakespeare.txt equals an independent count (the book exercise, steps 16–20)', { timeout: 120_000 }, async () => {
    const lines = shakespeareLines();
    const topic = uniqueTopic('shakespeare');
    await createTopic(topic, 1);
    await produceLines(topic, lines);

    const { ssc, clock } = context(1000);
    // 10,000 records/s × 1 s batches: the text arrives over several batches.
    const stream = KafkaUtils.createDirectStream(ssc, [topic], {
      'metadata.broker.list': kafkaBrokers(),
      'auto.offset.reset': 'smallest',
      maxRatePerPartition: 10_000,
    });
    const seen = recordRanges(stream);
    const totals = new Map<string, number>();
    const counts = stream
      .map(([, value]) => value)
      .flatMap((line) => words(line))
      .map((w): [string, number] => [w, 1])
      .reduceByKey((a, b) => a + b);
    counts.foreachRDD((rdd) => {
      for (const [w, n] of rdd.collect()) totals.set(w, (totals.get(w) ?? 0) + n);
    });
    const batches: CompletedBatchInfo[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (info) => void batches.push(info) });
    await ssc.start();

    const n = await advanceUntil(clock, ssc, () => (consumedUntil(seen).get(`${topic}:0`) ?? 0) >= lines.length);
    expect(n).toBe(Math.ceil(lines.length / 10_000));
    expect(totals).toEqual(countWords(lines));
    expectContiguous(seen, { [`${topic}:0`]: 0 });
    // Every batch but the last took exactly the rate limit.
    const sizes = [...seen.values()].map((s) => s.count);
    expect(sizes.slice(0, -1).every((s) => s === 10_000)).toBe(true);
    expect(sum(sizes)).toBe(lines.length);
  });

  it('isolation.level read_committed leaves out the records of aborted transactions; read_uncommitted (the default) reads them', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('transactions');
    await createTopic(topic, 1);
    const producer = kafkaClient().producer({ transactionalId: `tx-${topic}`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (const [values, commit] of [[['c1', 'c2'], true], [['a1', 'a2'], false], [['c3'], true]] as const) {
        const txn = await producer.transaction();
        await txn.send({ topic, messages: values.map((value) => ({ value })) });
        await (commit ? txn.commit() : txn.abort());
      }
    } finally {
      await producer.disconnect();
    }
    const end = (await topicEndOffsets(topic))[0]!;
    const read = async (isolation?: string): Promise<string[]> => {
      const { ssc, clock } = context(1000);
      const stream = KafkaUtils.createDirectStream(ssc, [topic], {
        'metadata.broker.list': kafkaBrokers(),
        'auto.offset.reset': 'earliest',
        ...(isolation ? { 'isolation.level': isolation } : {}),
      });
      const values: string[] = [];
      let until = 0;
      stream.foreachRDD((rdd) => {
        values.push(...rdd.collect().map(([, v]) => v));
        for (const r of (rdd as KafkaRDD).offsetRanges()) until = Math.max(until, r.untilOffset);
      });
      await ssc.start();
      await advanceUntil(clock, ssc, () => until >= end);
      await ssc.stop();
      return values;
    };
    expect(await read('read_committed')).toEqual(['c1', 'c2', 'c3']);
    expect(await read()).toEqual(['c1', 'c2', 'a1', 'a2', 'c3']);
    const { ssc } = context(1000);
    expect(() => KafkaUtils.createDirectStream(ssc, [topic], { 'metadata.broker.list': kafkaBrokers(), 'isolation.level': 'committed' })).toThrow(
      /"isolation.level" must be read_committed or read_uncommitted, got committed/,
    );
  });

  it('reads a 3-partition topic, one RDD partition per Kafka partition, and picks up a partition added mid-run', { timeout: 120_000 }, async () => {
    const topic = uniqueTopic('direct-partitions');
    await createTopic(topic, 3);
    const first = Array.from({ length: 300 }, (_, i) => `first ${i}`);
    await produceLines(topic, first, { partitions: 3, key: (_l, i) => `k${i}` });

    const { ssc, clock } = context(1000);
    const stream = KafkaUtils.createDirectStream(ssc, [topic], {
      'bootstrap.servers': kafkaBrokers(),
      'auto.offset.reset': 'earliest',
    });
    const seen = recordRanges(stream);
    const byPartition = new Map<number, string[]>();
    const keys = new Map<string, string | null>();
    stream.foreachRDD((rdd) => {
      const ranges = (rdd as KafkaRDD).offsetRanges();
      expect(rdd.getNumPartitions()).toBe(ranges.length);
      ranges.forEach((r, i) => {
        const part = rdd.partition(i);
        expect(part.length).toBe(r.untilOffset - r.fromOffset);
        const l = byPartition.get(r.partition) ?? [];
        for (const [k, v] of part) {
          l.push(v);
          keys.set(v, k);
        }
        byPartition.set(r.partition, l);
      });
    });
    await ssc.start();

    await clock.advance(1000);
    const t1 = seen.get(1000)!;
    expect(t1.ranges).toEqual([0, 1, 2].map((p) => ({ topic, partition: p, fromOffset: 0, untilOffset: 100 })));
    for (const p of [0, 1, 2]) expect(byPartition.get(p)).toEqual(first.filter((_l, i) => i % 3 === p));
    expect(keys.get('first 7')).toBe('k7');

    // A fourth partition, written to at once: found by the next lookup, read from offset 0.
    await addPartitions(topic, 4);
    const second = Array.from({ length: 400 }, (_, i) => `second ${i}`);
    await produceLines(topic, second, { partitions: 4 });
    await advanceUntil(clock, ssc, () => (consumedUntil(seen).get(`${topic}:3`) ?? 0) >= 100, 5);
    expect(byPartition.get(3)).toEqual(second.filter((_l, i) => i % 4 === 3));
    for (const p of [0, 1, 2]) {
      expect(byPartition.get(p)).toEqual([...first.filter((_l, i) => i % 3 === p), ...second.filter((_l, i) => i % 4 === p)]);
    }
    expectContiguous(seen, {});
    const last = [...seen.values()].at(-1)!;
    expect(last.ranges.map((r) => r.partition)).toEqual([0, 1, 2, 3]);
    expect(await topicEndOffsets(topic)).toEqual(Object.fromEntries([...consumedUntil(seen)].map(([k, v]) => [Number(k.split(':')[1]), v])));
  });

  it('a graceful stop finishes the batches already generated, reading their ranges', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('graceful');
    await createTopic(topic, 2);
    await produceLines(topic, Array.from({ length: 600 }, (_, i) => `g${i}`), { partitions: 2 });
    const { ssc, clock } = context(1000);
    const stream = KafkaUtils.createDirectStream(ssc, [topic], {
      'metadata.broker.list': kafkaBrokers(),
      'auto.offset.reset': 'earliest',
      maxRatePerPartition: 100,
    });
    const seen = recordRanges(stream);
    await ssc.start();
    // Three batches are generated at once; the stop comes before they ran.
    const advancing = clock.advance(3000);
    await ssc.stop({ graceful: true });
    await advancing;
    expect([...seen.keys()]).toEqual([1000, 2000, 3000]);
    expect([...seen.values()].map((s) => s.count)).toEqual([200, 200, 200]);
    expectContiguous(seen, {});
  });
});
