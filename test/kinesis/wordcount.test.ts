// Shakespeare through a 4-shard Kinesis stream (kinesalite): the direct stream and the receiver
// stream (leases and checkpoints in dynalite) count exactly what an independent count says.
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterEach, describe, expect, it } from 'vitest';
import { InitialPositionInStream, KinesisUtils, ManualClock, StorageLevel, StreamingContext, type KinesisRDD } from '../../src/index.js';
import { createKinesisStream, kinesisEndpoints, listShards, putLines, REGION, uniqueName } from '../helpers/kinesis.js';
import { countWords, shakespeareLines, sleep, words } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function wordcount(lines: readonly string[]): Map<string, number> {
  return countWords(lines);
}

describe('Shakespeare through a 4-shard stream', () => {
  it('the direct stream (from TRIM_HORIZON) counts every word as the independent count does; each batch has one range per shard', { timeout: 120_000 }, async () => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const stream = uniqueName('shakespeare-direct');
    await createKinesisStream(stream, 4);
    const lines = shakespeareLines();
    await putLines(stream, lines);

    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const records = KinesisUtils.createDirectStream(ssc, stream, {
      endpointUrl: kinesisEndpoint,
      regionName: REGION,
      initialPosition: InitialPositionInStream.TRIM_HORIZON,
      maxRecordsPerBatch: 16_000, // 4000 a shard
    });
    const counts = new Map<string, number>();
    let seen = 0;
    const shardsPerBatch: number[] = [];
    records.foreachRDD((rdd: KinesisRDD<string>) => {
      const ranges = rdd.sequenceNumberRanges();
      shardsPerBatch.push(ranges.length);
      expect(ranges.reduce((n, r) => n + r.recordCount, 0)).toBe(rdd.count());
    });
    records
      .flatMap((l) => words(l))
      .map((w): [string, number] => [w, 1])
      .reduceByKey((a, b) => a + b)
      .foreachRDD((rdd) => {
        for (const [w, n] of rdd.collect()) counts.set(w, (counts.get(w) ?? 0) + n);
      });
    records.count().foreachRDD((rdd) => void (seen += rdd.first()));
    await ssc.start();
    for (let i = 0; i < 40 && seen < lines.length; i++) await clock.advance(1000);
    await ssc.stop();
    expect(seen).toBe(lines.length);
    expect(counts).toEqual(wordcount(lines));
    // 16 000 records a batch at most: the corpus took several batches.
    expect(shardsPerBatch.length).toBeGreaterThan(2);
    expect(new Set(shardsPerBatch)).toEqual(new Set([4]));
  });

  it('the receiver stream (createStream, the book\'s arguments) counts every word; each shard\'s lease is checkpointed at its last record', { timeout: 120_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const stream = uniqueName('shakespeare-receiver');
    const app = uniqueName('KinesisCountApplication');
    await createKinesisStream(stream, 4);
    const lines = shakespeareLines();
    await putLines(stream, lines);

    const ssc = new StreamingContext({ batchDuration: 500 });
    cleanups.push(() => ssc.stop());
    const records = KinesisUtils.createStream(
      ssc, app, stream, kinesisEndpoint, REGION,
      InitialPositionInStream.TRIM_HORIZON, 200,
      StorageLevel.MEMORY_AND_DISK_2, 'YOURAWSACCESSKEYID', 'YOURAWSSECRETKEY',
      undefined, { dynamoDBEndpoint },
    );
    const counts = new Map<string, number>();
    let seen = 0;
    records
      .flatMap((l) => words(l))
      .map((w): [string, number] => [w, 1])
      .reduceByKey((a, b) => a + b)
      .foreachRDD((rdd) => {
        for (const [w, n] of rdd.collect()) counts.set(w, (counts.get(w) ?? 0) + n);
      });
    records.count().foreachRDD((rdd) => void (seen += rdd.first()));
    await ssc.start();
    const t0 = Date.now();
    while (seen < lines.length && Date.now() - t0 < 60_000) await sleep(100);
    await sleep(600); // a checkpoint round after the last store
    await ssc.stop();
    expect(seen).toBe(lines.length);
    expect(counts).toEqual(wordcount(lines));

    // The lease table is named by the application: one lease per shard, checkpointed at the shard's last record.
    const db = new DynamoDBClient({ endpoint: dynamoDBEndpoint, region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, requestHandler: new NodeHttpHandler() });
    const items = (await db.send(new ScanCommand({ TableName: app }))).Items ?? [];
    db.destroy();
    const shards = await listShards(stream);
    expect(items.map((i) => i.leaseKey!.S).sort()).toEqual(shards.map((s) => s.ShardId).sort());
    for (const it of items) {
      expect(it.checkpoint!.S).toMatch(/^\d+$/);
      expect(it.leaseOwner).toBeUndefined(); // released at stop
    }
  });
});
