// A shard's checkpoints only go forward, as the KCL's and Spark's KinesisCheckpointer: a periodic
// checkpoint still being retried (DynamoDB throttling) when the reader finished the closed shard
// landed after SHARD_END and overwrote it — the finished shard was taken again and read again
// from there. And a sequence number lower than the last checkpointed is never written.
import { afterEach, describe, expect, it } from 'vitest';
import { InitialPositionInStream, KinesisUtils, StorageLevel, StreamingContext, type KinesisRecord, type KinesisReceiver } from '../../src/index.js';
import { KinesisStreamClient } from '../../src/kinesis/client.js';
import { LeaseCoordinator } from '../../src/kinesis/LeaseCoordinator.js';
import { LeaseTable, SHARD_END } from '../../src/kinesis/leaseTable.js';
import { createKinesisStream, hashKeyIn, kinesisEndpoints, putLines, REGION, splitShard, uniqueName } from '../helpers/kinesis.js';
import { sleep } from './helpers.js';
import { throttleProxy } from './throttleProxy.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const PARENT = 'shardId-000000000000';
/** Throttled attempts (retried after 200 + 400 + 800 + 1600 ms): the parent's first checkpoint, and its release after SHARD_END. */
const REFUSALS = 4;

describe('SHARD_END and checkpoints', () => {
  it('SHARD_END is not overwritten by a late checkpoint: the finished shard is read once, before its children', { timeout: 30_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    let checkpoints = 0;
    let releases = 0;
    // The parent's first checkpoint is retried for 3 s, while its reader reaches the end; the
    // release after SHARD_END too, so a checkpoint landing late finds the lease still held.
    const proxy = await throttleProxy(dynamoDBEndpoint, (w) =>
      w.leaseKey === PARENT &&
      ((w.kind === 'checkpoint' && w.checkpoint !== SHARD_END && ++checkpoints <= REFUSALS) || (w.kind === 'release' && ++releases <= REFUSALS)),
    );
    cleanups.push(() => proxy.close());
    const stream = uniqueName('shard-end');
    await createKinesisStream(stream, 1);
    const P = 400;
    await putLines(stream, Array.from({ length: P }, (_, i) => `p-${i}`));
    const children = await splitShard(stream, PARENT);
    for (const c of children) await putLines(stream, Array.from({ length: 50 }, (_, i) => `${c}-${i}`), await hashKeyIn(stream, c));
    const total = P + 50 * children.length;

    const ssc = new StreamingContext({ batchDuration: 200 });
    cleanups.push(() => ssc.stop());
    const input = KinesisUtils.createStream(ssc, uniqueName('shard-end-app'), stream, kinesisEndpoint, REGION, InitialPositionInStream.TRIM_HORIZON, 100,
      StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined,
      { dynamoDBEndpoint: proxy.url, leaseTimeout: 1500, shardSyncInterval: 300, maxRecordsPerRead: 50, minReadInterval: 50, idleReadInterval: 50,
        messageHandler: (r: KinesisRecord) => new TextDecoder().decode(r.data) });
    const taken: string[] = [];
    let lastParentStore = 0;
    (input.receiver as KinesisReceiver<string>).onEvent = (e) => {
      if (e.type === 'taken') taken.push(e.shardId);
      if (e.type === 'stored' && e.shardId === PARENT) lastParentStore = Date.now();
    };
    const seen: string[] = [];
    input.foreachRDD((rdd) => void seen.push(...rdd.collect()));
    await ssc.start();
    const t0 = Date.now();
    while (new Set(seen).size < total && Date.now() - t0 < 20_000) await sleep(50);
    // Long enough for an overwritten parent lease to be taken again and read again.
    await sleep(2500);
    await ssc.stop();

    // The scenario happened: the reader stored the parent's last records while its first checkpoint was being retried.
    const seqWrites = proxy.writes.filter((w) => w.leaseKey === PARENT && w.kind === 'checkpoint' && w.checkpoint !== SHARD_END);
    expect(seqWrites.filter((w) => w.throttled)).toHaveLength(REFUSALS);
    expect(seqWrites[0]!.at).toBeLessThan(lastParentStore);
    expect(seqWrites.find((w) => w.status === 200)!.at).toBeGreaterThan(lastParentStore);
    // No sequence number went to the parent's lease after SHARD_END.
    const done = proxy.writes.filter((w) => w.leaseKey === PARENT && w.kind === 'checkpoint' && w.status === 200).map((w) => w.checkpoint);
    expect(done.slice(done.indexOf(SHARD_END))).toEqual([SHARD_END]);

    expect(taken.filter((s) => s === PARENT)).toEqual([PARENT]);
    expect(new Set(seen).size).toBe(total);
    expect(seen.length).toBe(total);
    const lastParent = seen.findLastIndex((x) => x.startsWith('p-'));
    const firstChild = seen.findIndex((x) => !x.startsWith('p-'));
    expect(lastParent).toBeLessThan(firstChild);
  });

  it('a checkpoint never goes back: not below the last sequence number checkpointed (as big integers), nor over SHARD_END', { timeout: 20_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const stream = uniqueName('cp-forward');
    await createKinesisStream(stream, 1);
    const kinesis = new KinesisStreamClient(stream, { endpointUrl: kinesisEndpoint, regionName: REGION });
    const table = new LeaseTable(uniqueName('cp-forward-app'), stream, { endpointUrl: kinesisEndpoint, regionName: REGION, dynamoDBEndpoint });
    const lost: string[] = [];
    const c = new LeaseCoordinator(table, kinesis, { workerId: 'W1', leaseTimeoutMs: 3000, initialPosition: 'TRIM_HORIZON' }, {
      onTaken: () => undefined,
      onLost: (k) => void lost.push(k),
      onError: () => undefined,
    });
    cleanups.push(async () => {
      await c.stop(false);
      kinesis.close();
      table.close();
    });
    await c.start();
    const stored = async (): Promise<string> => (await table.list())[0]!.checkpoint;

    expect(await c.checkpoint(PARENT, '100')).toBe(true);
    // 99 < 100 as numbers (not as strings): not written, and the lease is still ours.
    expect(await c.checkpoint(PARENT, '99')).toBe(true);
    expect(await stored()).toBe('100');
    expect(await c.checkpoint(PARENT, '1000')).toBe(true);
    expect(await stored()).toBe('1000');
    expect(lost).toEqual([]);

    // The table refuses a sequence number over SHARD_END, even from the lease's owner.
    const lease = c.held()[0]!;
    expect(await table.checkpoint(lease, 'W1', SHARD_END)).toBe(true);
    expect(await table.checkpoint(lease, 'W1', '2000')).toBe(false);
    expect(await stored()).toBe(SHARD_END);
  });
});
