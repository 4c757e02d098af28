// A worker renews its leases on a schedule of its own, as the KCL's LeaseRenewer, not behind the
// shard sync (ListShards, retried while Kinesis throttles or cannot be reached) and the lease
// taking: a slow ListShards held back the next renewal past the lease timeout, the worker dropped
// leases nobody else held (its reader stopped), took them again and read them again from the last
// checkpoint: duplicates.
import { afterEach, describe, expect, it } from 'vitest';
import { KinesisStreamClient } from '../../src/kinesis/client.js';
import { LeaseCoordinator } from '../../src/kinesis/LeaseCoordinator.js';
import { LeaseTable } from '../../src/kinesis/leaseTable.js';
import { createKinesisStream, kinesisEndpoints, REGION, uniqueName } from '../helpers/kinesis.js';
import { cutProxy } from './cutProxy.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const LEASE_TIMEOUT = 1000;

describe('lease renewal and shard sync', () => {
  it('leases are renewed while ListShards is retried for longer than the lease timeout: none is lost or taken again', { timeout: 30_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    // Kinesis (not the lease table) behind a proxy: while it refuses, ListShards is retried.
    const proxy = await cutProxy(kinesisEndpoint);
    cleanups.push(() => proxy.close());
    const stream = uniqueName('renew-sync');
    const app = uniqueName('renew-sync-app');
    await createKinesisStream(stream, 2);

    let stopping = false;
    const kinesis = new KinesisStreamClient(stream, { endpointUrl: proxy.url, regionName: REGION }, {}, () => stopping);
    const table = new LeaseTable(app, stream, { endpointUrl: kinesisEndpoint, regionName: REGION, dynamoDBEndpoint });
    // How long each ListShards took (the real call, timed).
    const listings: number[] = [];
    const listShards = kinesis.listShards.bind(kinesis);
    kinesis.listShards = async () => {
      const t0 = Date.now();
      try {
        return await listShards();
      } finally {
        listings.push(Date.now() - t0);
      }
    };

    const taken: string[] = [];
    const lost: string[] = [];
    const errors: string[] = [];
    const c = new LeaseCoordinator(table, kinesis, { workerId: 'W1', leaseTimeoutMs: LEASE_TIMEOUT, initialPosition: 'TRIM_HORIZON', shardSyncIntervalMs: 0 }, {
      onTaken: (l) => void taken.push(l.leaseKey),
      onLost: (k) => void lost.push(k),
      onError: (m, e) => void errors.push(`${m}: ${String(e)}`),
    });
    cleanups.push(async () => {
      stopping = true;
      kinesis.close();
      await c.stop(false);
      table.close();
    });
    await c.start();
    expect(taken.sort()).toHaveLength(2);
    await sleep(LEASE_TIMEOUT);
    const counters = async (): Promise<number[]> => (await table.list()).sort((a, b) => a.leaseKey.localeCompare(b.leaseKey)).map((l) => l.leaseCounter);
    const before = await counters();

    // Kinesis refuses for 2.5 lease timeouts: the shard sync in flight is retried all that time.
    proxy.refuse();
    const cutAt = Date.now();
    while (Date.now() - cutAt < 2.5 * LEASE_TIMEOUT) {
      expect(taken.every((k) => c.stillHeld(k)), `leases held ${Date.now() - cutAt} ms into the slow shard sync`).toBe(true);
      await sleep(50);
    }
    // The renewals went on meanwhile (about three a lease timeout).
    const during = await counters();
    during.forEach((n, i) => expect(n - before[i]!).toBeGreaterThanOrEqual(4));
    proxy.heal();
    const synced = listings.length;
    while (listings.length === synced) await sleep(50);
    // The scenario happened: one listing took longer than the lease timeout.
    expect(Math.max(...listings)).toBeGreaterThan(2 * LEASE_TIMEOUT);
    await sleep(LEASE_TIMEOUT);

    expect(lost).toEqual([]);
    expect(taken).toHaveLength(2); // not taken again
    expect(c.held().map((l) => l.leaseKey).sort()).toEqual(taken);
    expect((await table.list()).map((l) => l.leaseOwner)).toEqual(['W1', 'W1']);
    expect(errors).toEqual([]);

    // A stop while a shard sync is being retried returns at once (giveUp), and gives the leases back.
    proxy.refuse();
    await sleep(LEASE_TIMEOUT);
    stopping = true;
    const t0 = Date.now();
    await c.stop(true);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await table.list()).map((l) => l.leaseOwner)).toEqual([undefined, undefined]);
  });
});
