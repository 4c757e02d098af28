// Records a KPL producer aggregated (several user records in one Kinesis record) reach the job one
// by one, as the KCL (and so Spark) hands them over: each with its own partition key and data,
// the Kinesis record's sequence number and its index (subSequenceNumber). A recovered batch reads
// back exactly its range, whose end may be an aggregate. Before, the handler got the aggregate's bytes.
import { createHash } from 'node:crypto';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { InitialPositionInStream, KinesisUtils, ManualClock, StorageLevel, StreamingContext } from '../../src/index.js';
import { readRecordedRange } from '../../src/direct/kinesisCheckpoint.js';
import { deaggregate } from '../../src/kinesis/aggregation.js';
import { KinesisStreamClient } from '../../src/kinesis/client.js';
import { createKinesisStream, kinesis, kinesisEndpoints, REGION, uniqueName } from '../helpers/kinesis.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const varint = (n: number): Buffer => {
  const b: number[] = [];
  for (; n > 127; n = Math.floor(n / 128)) b.push((n & 127) | 128);
  b.push(n);
  return Buffer.from(b);
};
const field = (no: number, wireType: number, payload: Buffer): Buffer =>
  Buffer.concat([varint(no * 8 + wireType), wireType === 2 ? varint(payload.length) : Buffer.alloc(0), payload]);

/** A KPL aggregate of `users` ([partition key, data]), as the KPL writes it (messages.proto, then the MD5). */
function aggregate(users: Array<[string, string]>): Buffer {
  const keys = [...new Set(users.map(([k]) => k))];
  const records = users.map(([k, d]) => field(3, 2, Buffer.concat([field(1, 0, varint(keys.indexOf(k))), field(3, 2, Buffer.from(d)), field(4, 2, field(1, 2, Buffer.from('tag')))])));
  const proto = Buffer.concat([...keys.map((k) => field(1, 2, Buffer.from(k))), ...records]);
  return Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), proto, createHash('md5').update(proto).digest()]);
}

describe('KPL-aggregated Kinesis records', () => {
  it('deaggregate: the user records with their partition keys; a bad checksum or no magic is a plain record', () => {
    const agg = aggregate([['k1', 'u1'], ['k2', 'u2'], ['k1', 'u3']]);
    expect(deaggregate(agg)?.map((u) => [u.partitionKey, Buffer.from(u.data).toString()])).toEqual([['k1', 'u1'], ['k2', 'u2'], ['k1', 'u3']]);
    const corrupt = Buffer.from(agg);
    corrupt[corrupt.length - 1]! ^= 1;
    expect(deaggregate(corrupt)).toBeUndefined();
    expect(deaggregate(Buffer.from('plain record, long enough to be checked'))).toBeUndefined();
  });

  it('the direct stream and the receiver hand over the user records one by one; a recovered range ending at an aggregate reads back exactly', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const stream = uniqueName('kpl');
    await createKinesisStream(stream, 1);
    const put = async (data: Buffer): Promise<string> =>
      (await kinesis().send(new PutRecordCommand({ StreamName: stream, Data: data, PartitionKey: 'pk' }))).SequenceNumber!;
    const first = await put(Buffer.from('a'));
    const agg = await put(aggregate([['k1', 'u1'], ['k2', 'u2'], ['k1', 'u3']]));
    await put(Buffer.from('b'));
    const want = ['a', 'u1', 'u2', 'u3', 'b'];

    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const direct: string[] = [];
    KinesisUtils.createDirectStream(ssc, stream, { endpointUrl: kinesisEndpoint, regionName: REGION, initialPosition: InitialPositionInStream.TRIM_HORIZON }).foreachRDD(
      (rdd) => void direct.push(...rdd.collect()),
    );
    await ssc.start();
    await clock.advance(1000);
    expect(direct).toEqual(want);

    const receiverContext = new StreamingContext({ batchDuration: 200 });
    cleanups.push(() => receiverContext.stop());
    const received: string[] = [];
    KinesisUtils.createStream(receiverContext, uniqueName('kpl-app'), stream, kinesisEndpoint, REGION, InitialPositionInStream.TRIM_HORIZON, 200,
      StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined, { dynamoDBEndpoint, idleReadInterval: 50 }).foreachRDD((rdd) => void received.push(...rdd.collect()));
    await receiverContext.start();
    for (let i = 0; i < 100 && received.length < want.length; i++) await sleep(100);
    expect(received).toEqual(want);

    const client = new KinesisStreamClient(stream, { endpointUrl: kinesisEndpoint, regionName: REGION });
    cleanups.push(() => client.close());
    const range = { streamName: stream, shardId: 'shardId-000000000000', fromSeqNumber: first, toSeqNumber: agg, recordCount: 4 };
    const read = await readRecordedRange(client, range, 'test');
    expect(read.map((r) => [Buffer.from(r.data).toString(), r.subSequenceNumber])).toEqual([['a', undefined], ['u1', 0], ['u2', 1], ['u3', 2]]);
  });
});
