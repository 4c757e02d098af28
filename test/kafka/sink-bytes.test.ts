// writeToKafka / KafkaSink: keys and values as bytes (Buffer, Uint8Array), null as a tombstone or
// no key, and failures that name the sink's topic — a record Kafka refuses as too large (with its
// size), one that will not serialise (with its index in the batch). Real broker.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KafkaSink, KafkaSinkError, KafkaUtils, ManualClock, StreamingContext, writeToKafka } from '../../src/index.js';
import { createTopic, kafkaBrokers, kafkaClient, uniqueTopic } from '../helpers/kafka.js';

interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
}

/** `count` records of `topic` as Kafka holds them (bytes, nulls kept), in offset order of partition 0. */
async function readRaw(topic: string, count: number): Promise<RawRecord[]> {
  const consumer = kafkaClient().consumer({ groupId: uniqueTopic('sink-bytes-reader') });
  const got: RawRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${got.length} of ${count} records of ${topic}`)), 30_000);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ message }) => {
            got.push({ key: message.key, value: message.value });
            if (got.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

const hex = (b: Buffer | null): string | null => (b === null ? null : b.toString('hex'));

describe('KafkaSink keys and values', () => {
  it('writes Buffers and Uint8Arrays as their bytes, a null value as a tombstone and a null key as no key', { timeout: 60_000 }, async () => {
    // Before: Buffers went as JSON ({"type":"Buffer","data":[…]}), a Uint8Array as {"0":1,…}, null as the text "null".
    const topic = uniqueTopic('sink-bytes');
    await createTopic(topic, 1);
    const notUtf8 = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28]);
    const records: Array<[unknown, unknown]> = [
      [notUtf8, Buffer.concat([notUtf8, Buffer.from([0])])],
      [new Uint8Array([1, 2, 3]), new Uint8Array([0, 255, 7]).subarray(1)],
      ['deleted', null],
      [null, 'no key'],
      ['text', 'é€'],
    ];
    const sink = new KafkaSink<[unknown, unknown]>({ brokers: kafkaBrokers(), topic });
    try {
      expect(await sink.write(records)).toBe(records.length);
    } finally {
      await sink.close();
    }
    const got = await readRaw(topic, records.length);
    expect(got.map((r) => [hex(r.key), hex(r.value)])).toEqual([
      [notUtf8.toString('hex'), `${notUtf8.toString('hex')}00`],
      ['010203', 'ff07'],
      [Buffer.from('deleted').toString('hex'), null],
      [null, Buffer.from('no key').toString('hex')],
      [Buffer.from('text').toString('hex'), Buffer.from('é€').toString('hex')],
    ]);
  });

  it('copies a direct stream read with identity decoders byte for byte, tombstones included', { timeout: 60_000 }, async () => {
    const input = uniqueTopic('sink-bytes-in');
    const output = uniqueTopic('sink-bytes-out');
    await createTopic(input, 1);
    await createTopic(output, 1);
    const sent: RawRecord[] = [
      { key: randomBytes(16), value: randomBytes(4096) },
      { key: Buffer.from([0xed, 0xa0, 0x80]), value: null },
      { key: null, value: Buffer.from([0xc3]) },
    ];
    const producer = kafkaClient().producer();
    await producer.connect();
    await producer.send({ topic: input, messages: sent }).finally(() => producer.disconnect());

    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const identity = (b: Buffer | null): Buffer | null => b;
    const params = { 'metadata.broker.list': kafkaBrokers(), 'auto.offset.reset': 'earliest' };
    const sink = writeToKafka(KafkaUtils.createDirectStream(ssc, [input], params, undefined, identity, identity), { brokers: kafkaBrokers(), topic: output, ssc });
    await ssc.start();
    try {
      for (let i = 0; i < 20 && sink.written < sent.length; i++) await clock.advance(1000);
    } finally {
      await ssc.stop();
    }
    const got = await readRaw(output, sent.length);
    expect(got.map((r) => [hex(r.key), hex(r.value)])).toEqual(sent.map((r) => [hex(r.key), hex(r.value)]));
  });
});

describe('KafkaSink errors', () => {
  it('names the topic, the brokers and the largest record\'s size when Kafka refuses a record as too large', { timeout: 60_000 }, async () => {
    // Before: only "The request included a message larger than the max message size the server will accept".
    const topic = uniqueTopic('sink-too-large');
    const admin = kafkaClient().admin();
    await admin.connect();
    await admin
      .createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '100000' }] }], waitForLeaders: true })
      .finally(() => admin.disconnect());
    const sink = new KafkaSink<string>({ brokers: kafkaBrokers(), topic });
    try {
      const error = await sink.write(['small', 'X'.repeat(200_000), 'small again']).then(
        () => undefined,
        (e: unknown) => e,
      );
      const e = error as KafkaSinkError;
      expect(e.message).toContain(`topic ${topic}`);
      expect(e.message).toContain(kafkaBrokers());
      expect(e.message).toMatch(/largest record of the request is 200000 bytes/);
      expect(e.message).toMatch(/max\.message\.bytes of 100000/);
      expect(error).toBeInstanceOf(KafkaSinkError);
      expect(e.topic).toBe(topic);
      expect((e.cause as { type?: string }).type).toBe('MESSAGE_TOO_LARGE');
    } finally {
      await sink.close();
    }
  });

  it('names the topic and the record\'s index in the batch when a value will not serialise', { timeout: 60_000 }, async () => {
    // Before: "Do not know how to serialize a BigInt", naming neither sink nor topic.
    const topic = uniqueTopic('sink-bigint');
    await createTopic(topic, 1);
    const sink = new KafkaSink<[string, unknown]>({ brokers: kafkaBrokers(), topic });
    try {
      const error = await sink.write([['a', 1], ['b', 2], ['c', 10n]]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as Error).message).toMatch(new RegExp(`topic ${topic} .*could not serialise the value of record 2 of the batch: Do not know how to serialize a BigInt`));
      expect(error).toBeInstanceOf(KafkaSinkError);
      expect((error as KafkaSinkError).cause).toBeInstanceOf(TypeError);
    } finally {
      await sink.close();
    }
  });
});
