// The receiver framework's rate limit applies to the Kinesis receiver: store() waits for it, so
// the shard reader reads no further ahead than one GetRecords call, and what is checkpointed in
// the lease table is only what has been stored. Several receivers of one application in one job
// split the shards between them.
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterEach, describe, expect, it } from 'vitest';
import { InitialPositionInStream, KinesisUtils, StorageLevel, StreamingContext, type KinesisReceiver } from '../../src/index.js';
import { createKinesisStream, kinesisEndpoints, putLines, REGION, uniqueName } from '../helpers/kinesis.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

async function leaseCheckpoints(app: string): Promise<Map<string, string>> {
  const { dynamoDBEndpoint } = kinesisEndpoints();
  const db = new DynamoDBClient({ endpoint: dynamoDBEndpoint, region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, requestHandler: new NodeHttpHandler() });
  try {
    const items = (await db.send(new ScanCommand({ TableName: app }))).Items ?? [];
    return new Map(items.map((i) => [i.leaseKey!.S!, i.checkpoint!.S!]));
  } finally {
    db.destroy();
  }
}

describe('Kinesis receiver and the receiver framework', () => {
  it('maxRate 500/s: reading stays one call ahead of storing, and the lease checkpoint never passes what was stored', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const stream = uniqueName('rate');
    const app = uniqueName('rate-app');
    await createKinesisStream(stream, 1);
    const all = lines('r', 3000);
    await putLines(stream, all);
    const ssc = new StreamingContext({ batchDuration: 200 });
    cleanups.push(() => ssc.stop());
    const records = KinesisUtils.createStream(ssc, app, stream, kinesisEndpoint, REGION, InitialPositionInStream.TRIM_HORIZON, 100,
      StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined,
      { dynamoDBEndpoint, maxRate: 500, maxRecordsPerRead: 400, messageHandler: (r) => `${r.sequenceNumber} ${new TextDecoder().decode(r.data)}` });
    const receiver = records.receiver as KinesisReceiver<string>;
    const storedSeqs: string[] = [];
    let maxAhead = 0;
    receiver.onEvent = (e) => {
      if (e.type === 'stored') storedSeqs.push(e.sequenceNumber!);
      maxAhead = Math.max(maxAhead, receiver.counts.received - receiver.counts.stored);
    };
    const seen: string[] = [];
    records.foreachRDD((rdd) => void seen.push(...rdd.collect()));
    await ssc.start();
    const t0 = Date.now();
    while (receiver.counts.stored < 800 && Date.now() - t0 < 20_000) await sleep(20);
    await sleep(300); // a checkpoint round (every 100 ms)
    const cp = (await leaseCheckpoints(app)).get('shardId-000000000000')!;
    const storedNow = receiver.counts.stored;
    const secs = (Date.now() - t0) / 1000;
    // ~500 records/s (since the start, which includes taking the lease): far from all 3000.
    expect(storedNow).toBeGreaterThanOrEqual(800);
    expect(storedNow).toBeLessThanOrEqual(500 * secs + 400);
    expect(storedNow).toBeLessThan(all.length);
    expect(maxAhead).toBeLessThanOrEqual(400);
    // The checkpoint is the last record of one of the stored reads.
    expect(cp).toMatch(/^\d+$/);
    expect(storedSeqs).toContain(cp);
    const t1 = Date.now();
    while (seen.length < all.length && Date.now() - t1 < 20_000) await sleep(100);
    expect(seen.map((s) => s.slice(s.indexOf(' ') + 1))).toEqual(all);
  });

  it('two receivers of one application in one job read 2 shards each; their union has every record (at least once: a shard changing hands may repeat what was stored after its last checkpoint)', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const stream = uniqueName('two-receivers');
    const app = uniqueName('two-receivers-app');
    await createKinesisStream(stream, 4);
    const all = lines('x', 4000);
    await putLines(stream, all);
    const ssc = new StreamingContext({ batchDuration: 200 });
    cleanups.push(() => ssc.stop());
    const make = (): ReturnType<typeof KinesisUtils.createStream<string>> =>
      KinesisUtils.createStream(ssc, app, stream, kinesisEndpoint, REGION, InitialPositionInStream.TRIM_HORIZON, 200,
        StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined, { dynamoDBEndpoint, leaseTimeout: 1500 });
    const a = make();
    const b = make();
    const seen: string[] = [];
    a.union(b).foreachRDD((rdd) => void seen.push(...rdd.collect()));
    await ssc.start();
    const ra = a.receiver as KinesisReceiver<string>;
    const rb = b.receiver as KinesisReceiver<string>;
    const t0 = Date.now();
    while ((ra.shards.length !== 2 || rb.shards.length !== 2 || seen.length < all.length) && Date.now() - t0 < 30_000) await sleep(100);
    expect([ra.shards.length, rb.shards.length]).toEqual([2, 2]);
    expect(new Set([...ra.shards, ...rb.shards]).size).toBe(4);
    expect(new Set(seen)).toEqual(new Set(all));
  });
});
