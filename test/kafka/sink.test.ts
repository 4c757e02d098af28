// writeToKafka / KafkaSink: a stream's RDDs written to a topic with an idempotent producer, keys kept.
import { describe, expect, it } from 'vitest';
import { KafkaSink, KafkaUtils, ManualClock, StreamingContext, writeToKafka } from '../../src/index.js';
import { consumeMessages, createTopic, kafkaBrokers, produceLines, topicEndOffsets, uniqueTopic } from '../helpers/kafka.js';
import { countWords, words } from './helpers.js';

describe('writeToKafka', () => {
  it('writes a direct stream wordcount to another topic: one record per (word, count), keyed by word', { timeout: 60_000 }, async () => {
    const input = uniqueTopic('sink-in');
    const output = uniqueTopic('sink-out');
    await createTopic(input, 2);
    await createTopic(output, 3);
    const text = ['the quick brown fox', 'jumps over the lazy dog', 'The end', '', 'fox and dog'];
    await produceLines(input, text, { partitions: 2 });

    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const counts = KafkaUtils.createDirectStream(ssc, [input], { 'metadata.broker.list': kafkaBrokers(), 'auto.offset.reset': 'earliest' })
      .flatMap(([, line]) => words(line))
      .map((w): [string, number] => [w, 1])
      .reduceByKey((a, b) => a + b);
    const sink = writeToKafka(counts, { brokers: kafkaBrokers(), topic: output, ssc });
    // A second sink with its own key and value functions.
    const lengths = writeToKafka(counts, {
      brokers: kafkaBrokers(),
      topic: output,
      key: ([w]) => `len:${w}`,
      value: ([w, n]) => JSON.stringify({ w, n, len: w.length }),
    });
    await ssc.start();
    await clock.advance(1000);
    // The same text again: batch 2 writes the same keys.
    await produceLines(input, text, { partitions: 2 });
    await clock.advance(1000);
    await ssc.stop();
    await lengths.close();

    const expected = countWords(text);
    expect(sink.written).toBe(expected.size * 2);
    const records = await consumeMessages(output, expected.size * 4);
    const plain = records.filter((r) => r.key !== null && !r.key.startsWith('len:'));
    expect(new Map(plain.map((r) => [r.key!, Number(r.value)]))).toEqual(expected);
    const json = records.filter((r) => r.key?.startsWith('len:'));
    expect(json.find((r) => r.key === 'len:fox')?.value).toBe(JSON.stringify({ w: 'fox', n: 2, len: 3 }));
    // Same key, same partition (the producer hashes the key) in both batches; keys spread over partitions.
    expect(plain.length).toBe(expected.size * 2);
    const partOf = new Map<string, Set<number>>();
    for (const r of plain) partOf.set(r.key!, (partOf.get(r.key!) ?? new Set()).add(r.partition));
    for (const [k, ps] of partOf) expect(ps.size, k).toBe(1);
    expect(new Set(plain.map((r) => r.partition)).size).toBeGreaterThan(1);
    const ends = await topicEndOffsets(output);
    expect(Object.values(ends).reduce((a, b) => a + b, 0)).toBe(expected.size * 4);
  });

  it('cuts its requests by bytes, not characters: multi-byte records that each fit are all written', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('sink-bytes');
    await createTopic(topic, 1);
    const sink = new KafkaSink<string>({ brokers: kafkaBrokers(), topic });
    // 200 000 euro signs: 600 KB in UTF-8, 200 000 UTF-16 units. Three of them are 1.8 MB, past the
    // broker's default message.max.bytes (1 MiB) for one request.
    const records = ['a', 'b', 'c'].map((c) => c + '€'.repeat(200_000));
    try {
      expect(await sink.write(records)).toBe(3);
    } finally {
      await sink.close();
    }
    const got = await consumeMessages(topic, 3);
    expect(got.map((r) => r.value?.slice(0, 2))).toEqual(['a€', 'b€', 'c€']);
  });

  it('writes to a topic that does not exist yet, which the broker creates on demand (as Spark\'s producer relies on)', { timeout: 60_000 }, async () => {
    // Before: the producer never asked for the topic, and the batch failed after ~20 s with
    // "This server does not host this topic-partition", naming neither the topic nor the brokers.
    const topic = uniqueTopic('sink-new');
    const sink = new KafkaSink<string>({ brokers: kafkaBrokers(), topic });
    const t0 = Date.now();
    try {
      expect(await sink.write(['one', 'two'])).toBe(2);
    } finally {
      await sink.close();
    }
    expect(Date.now() - t0).toBeLessThan(15_000);
    const got = await consumeMessages(topic, 2);
    expect(got.map((r) => r.value)).toEqual(['one', 'two']);
  });

  it('writes plain values without keys; checks its options', async () => {
    const topic = uniqueTopic('sink-plain');
    await createTopic(topic, 1);
    const sink = new KafkaSink<string | number | { a: number }>({ brokers: kafkaBrokers(), topic });
    try {
      expect(await sink.write(['a', 2, { a: 1 }])).toBe(3);
    } finally {
      await sink.close();
    }
    const got = await consumeMessages(topic, 3);
    expect(got.map((r) => [r.key, r.value])).toEqual([
      [null, 'a'],
      [null, '2'],
      [null, '{"a":1}'],
    ]);
    await expect(sink.write(['late'])).rejects.toThrow(/closed/);
    expect(() => new KafkaSink({ brokers: 'x', topic })).toThrow(/host:port/);
    expect(() => new KafkaSink({ brokers: kafkaBrokers(), topic: 'bad topic' })).toThrow(/topic name/);
  });
});
