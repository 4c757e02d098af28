// Resharding while a job runs: split one shard, merge two. Nothing is lost, and a closed parent
// shard is read to its end before any record of its children.
import { afterEach, describe, expect, it } from 'vitest';
import { InitialPositionInStream, KinesisUtils, ManualClock, StorageLevel, StreamingContext, type KinesisRecord } from '../../src/index.js';
import { createKinesisStream, hashKeyIn, kinesisEndpoints, listShards, mergeShards, putLines, REGION, splitShard, uniqueName } from '../helpers/kinesis.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const tagged = (r: KinesisRecord): string => `${r.shardId} ${new TextDecoder().decode(r.data)}`;
const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

interface Reshard {
  stream: string;
  expected: Set<string>;
  /** child → parents */
  lineage: Map<string, string[]>;
  reshard: () => Promise<void>;
}

/** 3 shards with 1500 records each; `reshard()` splits shard 0, merges shards 1 and 2, and puts records into the children. */
async function prepare(prefix: string): Promise<Reshard> {
  const stream = uniqueName(prefix);
  await createKinesisStream(stream, 3);
  const shards = (await listShards(stream)).map((s) => s.ShardId!);
  const expected = new Set<string>();
  for (const s of shards) {
    const ls = lines(`A-${s}`, 1500);
    await putLines(stream, ls, await hashKeyIn(stream, s));
    for (const l of ls) expected.add(l);
  }
  const lineage = new Map<string, string[]>();
  return {
    stream,
    expected,
    lineage,
    async reshard() {
      const children = await splitShard(stream, shards[0]!);
      for (const c of children) lineage.set(c, [shards[0]!]);
      for (const c of children) {
        const ls = lines(`B-${c}`, 1000);
        await putLines(stream, ls, await hashKeyIn(stream, c));
        for (const l of ls) expected.add(l);
      }
      const merged = await mergeShards(stream, shards[1]!, shards[2]!);
      lineage.set(merged, [shards[1]!, shards[2]!]);
      const ls = lines(`C-${merged}`, 1000);
      await putLines(stream, ls, await hashKeyIn(stream, merged));
      for (const l of ls) expected.add(l);
    },
  };
}

/** Every parent's last record comes before its child's first, in the order the job saw them. */
function checkParentsFirst(seen: readonly string[], lineage: Map<string, string[]>): void {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  seen.forEach((t, i) => {
    const shard = t.slice(0, t.indexOf(' '));
    if (!first.has(shard)) first.set(shard, i);
    last.set(shard, i);
  });
  expect(lineage.size).toBe(3);
  for (const [child, parents] of lineage) {
    expect(first.has(child), `records of ${child}`).toBe(true);
    for (const p of parents) expect(last.get(p)!, `${p} before its child ${child}`).toBeLessThan(first.get(child)!);
  }
}

describe('resharding mid-run', () => {
  it('direct stream: split one, merge two — every record once, parents read to their end before their children (in earlier batches)', { timeout: 120_000 }, async () => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const r = await prepare('reshard-direct');
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const records = KinesisUtils.createDirectStream(ssc, r.stream, {
      endpointUrl: kinesisEndpoint,
      regionName: REGION,
      initialPosition: InitialPositionInStream.TRIM_HORIZON,
      maxRecordsPerBatch: 1500, // 500 a shard while there are 3
      messageHandler: tagged,
    });
    const seen: string[] = [];
    const batchOf = new Map<string, number[]>();
    records.foreachRDD((rdd, time) => {
      for (const t of rdd.collect()) {
        seen.push(t);
        const shard = t.slice(0, t.indexOf(' '));
        batchOf.set(shard, [...(batchOf.get(shard) ?? []), time]);
      }
    });
    await ssc.start();
    await clock.advance(1000); // 500 of each parent's 1500 records read
    await r.reshard();
    for (let i = 0; i < 30 && seen.length < r.expected.size; i++) await clock.advance(1000);
    await ssc.stop();
    const texts = seen.map((t) => t.slice(t.indexOf(' ') + 1));
    expect(texts.length).toBe(r.expected.size);
    expect(new Set(texts)).toEqual(r.expected);
    checkParentsFirst(seen, r.lineage);
    for (const [child, parents] of r.lineage) {
      for (const p of parents) expect(Math.max(...batchOf.get(p)!)).toBeLessThan(Math.min(...batchOf.get(child)!));
    }
  });

  it('receiver stream: split one, merge two — nothing lost, parents before children', { timeout: 120_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const r = await prepare('reshard-receiver');
    const ssc = new StreamingContext({ batchDuration: 300 });
    cleanups.push(() => ssc.stop());
    const records = KinesisUtils.createStream(ssc, uniqueName('reshard-app'), r.stream, kinesisEndpoint, REGION,
      InitialPositionInStream.TRIM_HORIZON, 200, StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined,
      // 3000 records/s: the job is still reading the parents when they close.
      { dynamoDBEndpoint, messageHandler: tagged, maxRate: 3000, maxRecordsPerRead: 500, leaseTimeout: 3000, shardSyncInterval: 300 });
    const seen: string[] = [];
    records.foreachRDD((rdd) => void seen.push(...rdd.collect()));
    await ssc.start();
    while (seen.length < 500) await sleep(50);
    await r.reshard();
    const t0 = Date.now();
    while (new Set(seen.map((t) => t.slice(t.indexOf(' ') + 1))).size < r.expected.size && Date.now() - t0 < 60_000) await sleep(100);
    await ssc.stop();
    const texts = new Set(seen.map((t) => t.slice(t.indexOf(' ') + 1)));
    expect(texts).toEqual(r.expected);
    checkParentsFirst(seen, r.lineage);
  });
});
