// Bad-input campaign (issue 16), Kafka: records with null keys and values, empty ones, binary
// (invalid UTF-8) keys and values, and 10 MB records, read by the direct stream (UTF-8 strings:
// a null key stays null, a null value reads as '', invalid UTF-8 becomes U+FFFD as Spark's StringDecoder gives it) and by
// createRDD: every record exactly once, in offset order, none lost or doubled. (Exact bytes with
// API.md's keyDecoder/valueDecoder: test/kafka/decoders.test.ts.)
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext, type OffsetRange } from '../../src/index.js';
import { kafkaBrokers, kafkaClient, uniqueTopic } from '../helpers/kafka.js';
import { recordCampaign } from './tally.js';

const TEN_MB = 10 * 1024 * 1024;

interface Sent {
  name: string;
  key: Buffer | null;
  value: Buffer | null;
}

function records(): Sent[] {
  const invalid = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xe2, 0x82]);
  return [
    { name: 'null key, null value', key: null, value: null },
    { name: 'key, null value (tombstone)', key: Buffer.from('k1'), value: null },
    { name: 'null key, value', key: null, value: Buffer.from('v1') },
    { name: 'empty key, empty value', key: Buffer.alloc(0), value: Buffer.alloc(0) },
    { name: 'invalid UTF-8 key and value', key: invalid, value: Buffer.concat([invalid, invalid]) },
    { name: 'random binary value', key: Buffer.from('bin'), value: randomBytes(64 * 1024) },
    { name: 'NUL bytes and newlines', key: Buffer.from('\u0000'), value: Buffer.from('a\nb\r\n\u0000c') },
    { name: '10 MB random value', key: Buffer.from('big1'), value: randomBytes(TEN_MB) },
    { name: '10 MB text value, null key', key: null, value: Buffer.from('x'.repeat(TEN_MB)) },
    { name: 'after the big ones', key: Buffer.from('last'), value: Buffer.from('done') },
  ];
}

describe('Kafka input: nulls, binary, 10 MB records', () => {
  it('reads every record exactly once, in order, 10 MB ones whole', { timeout: 180_000 }, async () => {
    const topic = uniqueTopic('campaign-bad');
    const kafka = kafkaClient();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: String(TEN_MB + (1 << 20)) }] }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const sent = records();
    const producer = kafka.producer();
    await producer.connect();
    for (const r of sent) await producer.send({ topic, messages: [{ key: r.key, value: r.value }] });
    await producer.disconnect();

    const params = { 'bootstrap.servers': kafkaBrokers(), 'auto.offset.reset': 'earliest' };
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const got: Array<[string | null, string | null]> = [];
    const ranges: OffsetRange[] = [];
    KafkaUtils.createDirectStream(ssc, [topic], params).foreachRDD((rdd) => {
      ranges.push(...(rdd as unknown as { offsetRanges(): OffsetRange[] }).offsetRanges());
      got.push(...rdd.collect());
    });
    await ssc.start();
    for (let i = 0; i < 30 && got.length < sent.length; i++) await clock.advance(1000);
    await ssc.stop();

    // UTF-8 strings (the API's default decoding): a null key stays null, a null value is '' (the
    // API's record type is [string | null, string]); invalid UTF-8 becomes U+FFFD.
    const problems: string[] = [];
    if (got.length !== sent.length) problems.push(`direct stream: ${got.length} records for ${sent.length}`);
    sent.forEach((r, i) => {
      const [k, v] = got[i] ?? [undefined, undefined];
      if (k !== (r.key === null ? null : r.key.toString('utf8')) || v !== (r.value === null ? '' : r.value.toString('utf8'))) {
        problems.push(`direct stream: record ${i} (${r.name}) differs`);
      }
    });
    expect(ranges.reduce((n, r) => n + r.untilOffset - r.fromOffset, 0)).toBe(sent.length);

    // createRDD over the exact range.
    const rdd = await KafkaUtils.createRDD(new StreamingContext({ batchDuration: 1000 }), params, [{ topic, partition: 0, fromOffset: 0, untilOffset: sent.length }]);
    const viaRdd = rdd.collect();
    if (viaRdd.length !== sent.length || viaRdd[8]?.[1]?.length !== TEN_MB) problems.push(`createRDD: ${viaRdd.length} records`);

    recordCampaign('Kafka records (direct stream, createRDD)', {
      cases: sent.length * 2,
      correct: sent.length * 2 - problems.length,
      errors: 0,
      lost: problems.length,
    });
    expect(problems).toEqual([]);
  });
});
