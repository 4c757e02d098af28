// A receiver renews its leases (and checkpoints its shards) from the start, as the KCL's
// LeaseRenewer, not once the first lease-taking round has ended: with DynamoDB throttling the take
// of one lease for longer than the lease timeout, the leases taken before it in that round were
// never renewed, lapsed, and their shards were read again. And a take that needed retries holds
// its lease from when the successful attempt was sent, not the first throttled one (it was born
// expired, dropped at once and read again).
import { afterEach, describe, expect, it } from 'vitest';
import { InitialPositionInStream, KinesisUtils, StorageLevel, StreamingContext, type KinesisReceiver } from '../../src/index.js';
import { createKinesisStream, kinesisEndpoints, putLines, REGION, uniqueName } from '../helpers/kinesis.js';
import { sleep } from './helpers.js';
import { throttleProxy } from './throttleProxy.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const LEASE_TIMEOUT = 1000;
const SLOW = 'shardId-000000000002';
/** Throttled attempts of SLOW's take: retried after 200 + 400 + 800 + 1600 ms, three lease timeouts. */
const REFUSALS = 4;

describe('the first lease-taking round is slow', () => {
  it('renewals run while the first take round is slow: no lease is lost, no record is read twice', { timeout: 30_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    let takes = 0;
    const proxy = await throttleProxy(dynamoDBEndpoint, (w) => w.kind === 'take' && w.leaseKey === SLOW && ++takes <= REFUSALS);
    cleanups.push(() => proxy.close());
    const stream = uniqueName('slow-take');
    await createKinesisStream(stream, 3);
    const N = 300;
    await putLines(stream, Array.from({ length: N }, (_, i) => `r-${i}`));

    const ssc = new StreamingContext({ batchDuration: 200 });
    cleanups.push(() => ssc.stop());
    const input = KinesisUtils.createStream(ssc, uniqueName('slow-take-app'), stream, kinesisEndpoint, REGION, InitialPositionInStream.TRIM_HORIZON, 200,
      StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined,
      { dynamoDBEndpoint: proxy.url, leaseTimeout: LEASE_TIMEOUT, maxRecordsPerRead: 20, idleReadInterval: 50 });
    const events: string[] = [];
    (input.receiver as KinesisReceiver<string>).onEvent = (e) => {
      if (e.type === 'taken' || e.type === 'lost') events.push(`${e.type} ${e.shardId}`);
    };
    const seen = new Map<string, number>();
    input.foreachRDD((rdd) => {
      for (const x of rdd.collect()) seen.set(x, (seen.get(x) ?? 0) + 1);
    });
    await ssc.start();
    const t0 = Date.now();
    const tookSlow = (): boolean => proxy.writes.some((w) => w.kind === 'take' && w.leaseKey === SLOW && w.status === 200);
    while ((seen.size < N || !tookSlow()) && Date.now() - t0 < 20_000) await sleep(50);
    // Long enough for leases lapsed in the slow round to be taken again and their shards read again.
    await sleep(2 * LEASE_TIMEOUT);
    await ssc.stop();

    // The scenario happened: the first round's take of SLOW took three lease timeouts.
    const slowTakes = proxy.writes.filter((w) => w.kind === 'take' && w.leaseKey === SLOW);
    expect(slowTakes.filter((w) => w.throttled)).toHaveLength(REFUSALS);
    const tookAt = slowTakes.find((w) => w.status === 200)!.at;
    expect(tookAt - slowTakes[0]!.at).toBeGreaterThan(2.5 * LEASE_TIMEOUT);
    // Meanwhile the leases taken before it were renewed, within the lease timeout.
    const firstRenewal = proxy.writes.find((w) => w.kind === 'renew');
    expect(firstRenewal, 'a renewal was sent').toBeDefined();
    expect(firstRenewal!.at).toBeLessThan(slowTakes[0]!.at + LEASE_TIMEOUT);

    expect(events.filter((e) => e.startsWith('lost'))).toEqual([]);
    expect(events.sort()).toEqual(['taken shardId-000000000000', 'taken shardId-000000000001', `taken ${SLOW}`]);
    expect(seen.size).toBe(N);
    expect([...seen].filter(([, n]) => n > 1).map(([x]) => x)).toEqual([]);
  });
});
