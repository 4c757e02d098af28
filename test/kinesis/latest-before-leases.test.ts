// A Kinesis receiver at LATEST reads what arrives after the job FIRST started, even when the job
// dies — or its receiver restarts — before its leases exist (the lease table unreachable, or slow
// to create): the first start's time is kept in the checkpoint (the start record before a batch
// completed, each batch's commit after) and the leases are created AT_TIMESTAMP of it. Before,
// each start meant "from now", and what came while the first run waited for DynamoDB was lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKinesisStream, kinesisEndpoints, putLines, uniqueName } from '../helpers/kinesis.js';
import { cutProxy, type CutProxy } from './cutProxy.js';
import { child, sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const records = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** A 2-shard stream, a checkpoint directory, and the lease table behind a proxy that refuses it: latest-child.ts's arguments. */
async function unreachableTable(mode: 'wal' | 'nowal', N: number): Promise<{ proxy: CutProxy; stream: string; args: string[] }> {
  const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
  const proxy = await cutProxy(dynamoDBEndpoint);
  cleanups.push(() => proxy.close());
  proxy.refuse();
  const stream = uniqueName('latest');
  await createKinesisStream(stream, 2);
  const dir = mkdtempSync(path.join(tmpdir(), 'kinesis-latest-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { proxy, stream, args: [mode, kinesisEndpoint, proxy.url, stream, uniqueName('latest-app'), dir, String(N)] };
}

/** First run: the lease table refused; `afterBatches` batches, records put, SIGKILL. Then a run that reaches it. */
async function killBeforeLeases(mode: 'wal' | 'nowal', afterBatches: number): Promise<{ final: { keys: number; total: number; max: number }; secondOut: string }> {
  const N = 100;
  const { proxy, stream, args } = await unreachableTable(mode, N);

  const first = child('latest-child.ts', args, cleanups);
  await first.waitFor((o) => o.includes('STARTED'), 'the first start');
  await first.waitFor((o) => o.split('\n').filter((l) => l.startsWith('{')).length >= afterBatches, `${afterBatches} batches`);
  // After the first start, before any lease exists: LATEST means these are to be read.
  await putLines(stream, records('a', N / 2));
  await sleep(300);
  await first.kill();
  expect(first.out()).not.toContain('DONE');

  proxy.heal();
  const second = child('latest-child.ts', args, cleanups);
  await second.waitFor((o) => o.includes('STARTED'), 'the second start');
  await putLines(stream, records('b', N / 2));
  await second.waitFor((o) => o.includes('DONE'), 'every record put since the first start counted', 30_000);
  const final = JSON.parse(second.lines().filter((l) => l.startsWith('{')).at(-1)!) as { keys: number; total: number; max: number };
  return { final, secondOut: second.out() };
}

describe('Kinesis receiver at LATEST: killed before its leases existed', () => {
  it('without the write-ahead log, killed before a batch completed: the restart reads from the first start', { timeout: 90_000 }, async () => {
    const { final } = await killBeforeLeases('nowal', 0);
    expect(final).toMatchObject({ keys: 100, total: 100, max: 1 });
  });

  it('a receiver restarted while the lease table was unreachable reads from its first start', { timeout: 60_000 }, async () => {
    const { proxy, stream, args } = await unreachableTable('nowal', 100);
    const job = child('latest-child.ts', args, cleanups);
    await job.waitFor((o) => o.includes('STARTED'), 'the start');
    await putLines(stream, records('a', 50));
    // The receiver's lease table calls give up after 500 ms: it restarts, at least once, meanwhile.
    await sleep(1500);
    proxy.heal();
    await putLines(stream, records('b', 50));
    await job.waitFor((o) => o.includes('DONE'), 'every record put since the start counted', 30_000);
    expect(JSON.parse(job.lines().filter((l) => l.startsWith('{')).at(-1)!)).toMatchObject({ keys: 100, total: 100, max: 1 });
  });

  it('with the write-ahead log, killed after batches completed: the restart reads from the first start', { timeout: 90_000 }, async () => {
    const { final } = await killBeforeLeases('wal', 3);
    expect(final).toMatchObject({ keys: 100, total: 100, max: 1 });
  });
});
