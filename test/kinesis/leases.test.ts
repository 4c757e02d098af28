// Two jobs whose Kinesis receivers have the same application name share the stream's shards
// through the lease table; when one dies (SIGKILL, its leases not released), the other takes its
// leases once they have not been renewed for the lease timeout, and reads on from their checkpoints.
import { afterEach, describe, expect, it } from 'vitest';
import { createKinesisStream, kinesisEndpoints, putLines, uniqueName } from '../helpers/kinesis.js';
import { child, sleep, type Child } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** The shards a job reads now, and when that last changed. */
function shardsOf(c: Child): { shards: string[]; at: number } {
  const l = c.lines().filter((x) => x.startsWith('SHARDS ')).at(-1);
  if (!l) return { shards: [], at: 0 };
  const [, ids, at] = l.split(' ');
  return { shards: ids ? ids.split(',').filter(Boolean) : [], at: Number(at) };
}

function received(c: Child): string[] {
  return c.lines().filter((l) => l.startsWith('BATCH ')).flatMap((l) => JSON.parse(l.slice(6)) as string[]);
}

describe('two receiver jobs with the same application name', () => {
  it('share the 4 shards 2 and 2; one is killed, the other takes its leases after the lease timeout and reads on', { timeout: 120_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const stream = uniqueName('leases');
    const app = uniqueName('leases-app');
    await createKinesisStream(stream, 4);
    await putLines(stream, lines('before', 4000));
    const args = [kinesisEndpoint, dynamoDBEndpoint, stream, app];

    const a = child('leases-child.ts', args, cleanups);
    await a.waitFor(() => shardsOf(a).shards.length === 4, 'job A reading all 4 shards');
    const b = child('leases-child.ts', args, cleanups);
    await b.waitFor(() => shardsOf(b).shards.length === 2, 'job B taking 2 shards from A', 30_000);
    await a.waitFor(() => shardsOf(a).shards.length === 2, 'job A down to 2 shards', 30_000);
    expect(new Set([...shardsOf(a).shards, ...shardsOf(b).shards]).size).toBe(4);
    await a.waitFor(() => received(a).length + received(b).length >= 4000, 'the first records');

    const bShards = shardsOf(b).shards;
    await b.kill();
    const killedAt = Date.now();
    const after = lines('after', 4000);
    await putLines(stream, after);

    await a.waitFor(() => shardsOf(a).shards.length === 4, 'job A taking B\'s leases', 30_000);
    const takenAt = shardsOf(a).at;
    // Not before B's leases went unrenewed for the lease timeout (2 s): B renewed them every
    // 667 ms, the last time at most that long before it was killed.
    expect(takenAt - killedAt).toBeGreaterThanOrEqual(2000 - 667 - 50);
    expect(shardsOf(a).shards).toEqual(expect.arrayContaining(bShards));
    // Every record put after B died is read by A, from the shards B had too.
    await a.waitFor(() => {
      const got = new Set(received(a));
      return after.every((l) => got.has(l));
    }, 'every record put after the kill', 30_000);
    await sleep(10);
  });
});

describe('a receiver with a fixed workerId', () => {
  it('killed and started again under the same worker id, takes back the leases still in its name and reads on', { timeout: 120_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const stream = uniqueName('leases-fixed');
    await createKinesisStream(stream, 2);
    const args = [kinesisEndpoint, dynamoDBEndpoint, stream, uniqueName('leases-fixed-app'), 'fixed-worker'];
    const a = child('leases-child.ts', args, cleanups);
    await a.waitFor(() => shardsOf(a).shards.length === 2, 'the first run reading both shards');
    await a.kill();
    const after = lines('after', 200);
    await putLines(stream, after);
    const again = child('leases-child.ts', args, cleanups);
    await again.waitFor(() => shardsOf(again).shards.length === 2, 'the second run taking back its leases', 30_000);
    await again.waitFor(() => {
      const got = new Set(received(again));
      return after.every((l) => got.has(l));
    }, 'every record put after the kill', 30_000);
  });
});
