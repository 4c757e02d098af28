// A Kinesis receiver whose lease table stops answering (a partition: requests hang, nothing is
// refused) stops in seconds — the calls in flight are aborted once the stop's grace has passed,
// the checkpoint rounds due meanwhile were skipped rather than queued — and what it could not
// checkpoint is read again by the next worker (at least once: nothing acknowledged is lost).
import { afterEach, describe, expect, it } from 'vitest';
import { InitialPositionInStream, KinesisUtils, StorageLevel, StreamingContext } from '../../src/index.js';
import { createKinesisStream, kinesisEndpoints, putLines, REGION, uniqueName } from '../helpers/kinesis.js';
import { cutProxy } from './cutProxy.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('Kinesis receiver, lease table silent', () => {
  it('stop() takes seconds after the table went silent for a while; the next worker reads again what was not checkpointed', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const proxy = await cutProxy(dynamoDBEndpoint);
    cleanups.push(() => proxy.close());
    const stream = uniqueName('table-silent');
    const app = uniqueName('table-silent-app');
    await createKinesisStream(stream, 2);

    const job = (dynamo: string, seen: string[], leaseTimeout: number): StreamingContext => {
      const ssc = new StreamingContext({ batchDuration: 200 });
      cleanups.push(() => ssc.stop());
      KinesisUtils.createStream(ssc, app, stream, kinesisEndpoint, REGION, InitialPositionInStream.TRIM_HORIZON, 100,
        StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined, { dynamoDBEndpoint: dynamo, idleReadInterval: 50, leaseTimeout })
        .foreachRDD((rdd) => void seen.push(...(rdd.collect() as string[])));
      return ssc;
    };

    // Worker 1 (the default 2 min retry timeout, a 10 s lease timeout): reads and checkpoints "before".
    const seen1: string[] = [];
    const ssc1 = job(proxy.url, seen1, 10_000);
    await ssc1.start();
    await putLines(stream, lines('before', 20));
    await until(() => seen1.length >= 20, 'worker 1 reading "before"');
    await sleep(500); // checkpointed (every 100 ms)

    // The table goes silent for 3 s: worker 1 reads "during", cannot checkpoint it; rounds fall due every 100 ms.
    proxy.blackhole();
    const during = lines('during', 20);
    await putLines(stream, during);
    await until(() => during.every((l) => seen1.includes(l)), 'worker 1 reading "during"');
    await sleep(3000);
    const t0 = Date.now();
    await ssc1.stop();
    const took = Date.now() - t0;
    // The stores (none under way), then 5 s for the last checkpoints and releases, then aborted.
    expect(took).toBeLessThan(10_000);

    // The next worker (the table reachable, a 1 s lease timeout to take worker 1's unreleased leases)
    // reads from the last checkpoint written: "during" again, not "before".
    const seen2: string[] = [];
    const ssc2 = job(dynamoDBEndpoint, seen2, 1000);
    await ssc2.start();
    await until(() => during.every((l) => seen2.includes(l)), 'worker 2 reading "during" again');
    expect(seen2.filter((l) => l.startsWith('before'))).toEqual([]);
  });
});
