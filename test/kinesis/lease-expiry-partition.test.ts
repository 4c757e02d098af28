// A worker cut off from the lease table cannot renew its leases; once the lease timeout has passed
// since its last renewal another worker may hold them, so — as the KCL — it stops reading and
// storing those shards then, not when a conditional write finally fails (up to the 2 min retry
// timeout later), which made every record of those minutes processed twice.
import { afterEach, describe, expect, it } from 'vitest';
import { InitialPositionInStream, KinesisUtils, StorageLevel, StreamingContext, type KinesisReceiver } from '../../src/index.js';
import { createKinesisStream, kinesisEndpoints, putLines, REGION, uniqueName } from '../helpers/kinesis.js';
import { cutProxy } from './cutProxy.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const LEASE_TIMEOUT = 1500;

describe('a worker cut off from the lease table', () => {
  it('stops reading and storing its shards once the lease timeout passed since its last renewal; the other worker reads them', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const proxy = await cutProxy(dynamoDBEndpoint);
    cleanups.push(() => proxy.close());
    const stream = uniqueName('partition');
    const app = uniqueName('partition-app');
    await createKinesisStream(stream, 2);

    const job = (name: string, dynamo: string): { ssc: StreamingContext; receiver: KinesisReceiver<string>; stores: Array<[number, string]> } => {
      const ssc = new StreamingContext({ batchDuration: 200 });
      cleanups.push(() => ssc.stop());
      const s = KinesisUtils.createStream(ssc, app, stream, kinesisEndpoint, REGION, InitialPositionInStream.TRIM_HORIZON, 200,
        StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined,
        // The default retry timeout (2 min): the lost lease is not learnt from a failing call within this test.
        { dynamoDBEndpoint: dynamo, leaseTimeout: LEASE_TIMEOUT, idleReadInterval: 50, workerId: name });
      s.foreachRDD(() => undefined);
      const receiver = s.receiver as KinesisReceiver<string>;
      const stores: Array<[number, string]> = [];
      receiver.onEvent = (e) => {
        if (e.type === 'stored') stores.push([Date.now(), e.shardId]);
      };
      return { ssc, receiver, stores };
    };

    let stop = false;
    let n = 0;
    const producing = (async () => {
      while (!stop) {
        await putLines(stream, Array.from({ length: 10 }, () => `m-${n++}`));
        await sleep(50);
      }
    })();
    cleanups.push(async () => {
      stop = true;
      await producing;
    });

    const w1 = job('W1', proxy.url);
    await w1.ssc.start();
    await until(() => w1.receiver.shards.length === 2, 'W1 reading both shards');
    const w2 = job('W2', dynamoDBEndpoint);
    await w2.ssc.start();
    await until(() => w1.receiver.shards.length === 1 && w2.receiver.shards.length === 1, 'W2 taking one shard from W1');
    const w1Shard = w1.receiver.shards[0]!;

    proxy.refuse();
    const cutAt = Date.now();
    await until(() => w2.receiver.shards.length === 2, "W2 taking W1's lease", 15_000);
    // W2 took it no sooner than the lease timeout after W1's last renewal (at most a third of it before the cut).
    expect(Date.now() - cutAt).toBeGreaterThan(LEASE_TIMEOUT - LEASE_TIMEOUT / 3 - 100);
    await sleep(2000);
    // W1 dropped the lease it could not renew, and stored nothing of it after the lease timeout (a margin for a store under way).
    const late = w1.stores.filter(([t]) => t > cutAt + LEASE_TIMEOUT + 300);
    expect(late).toEqual([]);
    expect(w1.receiver.shards).toEqual([]);
    // W2 reads W1's shard meanwhile.
    expect(w2.stores.some(([t, shard]) => shard === w1Shard && t > cutAt + LEASE_TIMEOUT)).toBe(true);
  });
});
