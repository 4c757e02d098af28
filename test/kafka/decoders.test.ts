// createDirectStream / createRDD with API.md's keyDecoder/valueDecoder (PySpark's order): the
// decoders see each record's exact bytes, a missing key or value as null, and a decoder that
// throws fails the batch with an error naming topic, partition and offset — awaitTermination
// rejects with it. Real broker (test/setup/kafka.global.ts).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, RecordDecodeError, StreamingContext, type DStream } from '../../src/index.js';
import { createTopic, kafkaBrokers, kafkaClient, uniqueTopic } from '../helpers/kafka.js';

const identity = (b: Buffer | null): Buffer | null => b;

async function produce(topic: string, messages: Array<{ key: Buffer | null; value: Buffer | null }>): Promise<void> {
  const producer = kafkaClient().producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

function params(): Record<string, string> {
  return { 'metadata.broker.list': kafkaBrokers(), 'auto.offset.reset': 'earliest' };
}

describe('Kafka keyDecoder / valueDecoder', () => {
  it('binary values round-trip exactly with an identity decoder; null key and value reach the decoders as null', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('decoders-bytes');
    await createTopic(topic, 1);
    const invalidUtf8 = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xe2, 0x82, 0x80, 0xed, 0xa0, 0x80]);
    const sent = [
      { key: Buffer.from('bin'), value: randomBytes(64 * 1024) },
      { key: invalidUtf8, value: Buffer.concat([invalidUtf8, Buffer.from([0])]) },
      { key: null, value: Buffer.from('v') },
      { key: Buffer.from('tombstone'), value: null },
      { key: null, value: null },
      { key: Buffer.alloc(0), value: Buffer.alloc(0) },
    ];
    await produce(topic, sent);

    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const stream = KafkaUtils.createDirectStream(ssc, [topic], params(), undefined, identity, identity);
    const typed: DStream<[Buffer | null, Buffer | null]> = stream; // the decoders' types, not strings
    const got: Array<[Buffer | null, Buffer | null]> = [];
    typed.foreachRDD((rdd) => void got.push(...rdd.collect()));
    await ssc.start();
    try {
      for (let i = 0; i < 20 && got.length < sent.length; i++) await clock.advance(1000);
    } finally {
      await ssc.stop();
    }
    expect(got.length).toBe(sent.length);
    sent.forEach((s, i) => {
      const [k, v] = got[i]!;
      expect(k === null ? null : Buffer.compare(k, s.key!), `key ${i}`).toBe(s.key === null ? null : 0);
      expect(v === null ? null : Buffer.compare(v, s.value!), `value ${i}`).toBe(s.value === null ? null : 0);
    });

    // createRDD: the same decoders, the same bytes; without them the contract's UTF-8 strings.
    const range = [{ topic, partition: 0, fromOffset: 0, untilOffset: sent.length }];
    const raw = (await KafkaUtils.createRDD(undefined, params(), range, identity, identity)).collect();
    expect(raw.map(([k, v]) => [k?.toString('hex') ?? null, v?.toString('hex') ?? null])).toEqual(
      sent.map((s) => [s.key?.toString('hex') ?? null, s.value?.toString('hex') ?? null]),
    );
    const strings: Array<[string | null, string]> = (await KafkaUtils.createRDD(undefined, params(), range)).collect();
    expect(strings[2]).toEqual([null, 'v']);
    expect(strings[4]).toEqual([null, '']);

    // Only a valueDecoder: the key stays the default UTF-8 (string | null).
    const valueOnly = (await KafkaUtils.createRDD(undefined, params(), range, undefined, (b) => b?.length ?? -1)).collect();
    const check: Array<[string | null, number]> = valueOnly;
    expect(check.map(([, n]) => n)).toEqual(sent.map((s) => s.value?.length ?? -1));
    expect(check[0]![0]).toBe('bin');
  });

  it('a decoder that throws fails the batch, naming topic, partition and offset; awaitTermination rejects', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('decoders-throw');
    await createTopic(topic, 1);
    await produce(
      topic,
      ['1', '2', 'bad', '4'].map((v) => ({ key: null, value: Buffer.from(v) })),
    );
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const seen: number[] = [];
    const failures: Array<string | undefined> = [];
    ssc.addStreamingListener({ onBatchCompleted: (info) => void failures.push(info.failureReason) });
    const decode = (b: Buffer | null): number => {
      const n = Number(b?.toString('utf8'));
      if (Number.isNaN(n)) throw new Error(`not a number: ${String(b)}`);
      return n;
    };
    KafkaUtils.createDirectStream(ssc, [topic], params(), undefined, undefined, decode).foreachRDD((rdd) => {
      for (const [, n] of rdd.collect()) seen.push(n);
    });
    await ssc.start();
    try {
      await expect(clock.advance(1000)).rejects.toThrow(`valueDecoder failed on the record at ${topic}:0 offset 2: not a number: bad`);
      const err = await ssc.awaitTermination().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RecordDecodeError);
      expect((err as RecordDecodeError).message).toContain(`${topic}:0 offset 2`);
      expect((err as RecordDecodeError).offset).toBe(2);
      expect(ssc.state).toBe('stopped');
    } finally {
      await ssc.stop();
    }
    // The batch's output never ran: nothing of it was handed on (no partial batch).
    expect(seen).toEqual([]);
  });
});
