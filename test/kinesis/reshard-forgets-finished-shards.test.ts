// A stream resharded again and again (splits and merges) while a job reads it: every record is
// read exactly once and in order per key, and what the job keeps of the shards stays bounded —
// a finished shard is forgotten once its children are tracked (the direct stream's positions and
// checkpoint record, the receiver's lease table), yet never read again, though ListShards keeps
// listing it: a restarted job reads only what is new.
import { PutRecordsCommand, type Shard } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InitialPositionInStream,
  KinesisUtils,
  ManualClock,
  StorageLevel,
  StreamingContext,
  type DirectKinesisPosition,
  type KinesisRecord,
} from '../../src/index.js';
import { LeaseTable } from '../../src/kinesis/leaseTable.js';
import { createKinesisStream, kinesis, kinesisEndpoints, listShards, mergeShards, REGION, splitShard, uniqueName } from '../helpers/kinesis.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** 4 shards, then merge, split, merge, split, merge, split: 9 shards closed, 4 open. */
const SHARDS = 4;
const RESHARDS = 6;
const CLOSED = 9;
/** Keys at 32 evenly spread hash keys: every shard (none narrower than a quarter of the range here) holds 8 or more. */
const KEYS = Array.from({ length: 32 }, (_, i) => ({ name: `k${i}`, hash: String(((2n ** 128n - 1n) / 32n) * BigInt(i) + 2n ** 121n) }));

const text = (r: KinesisRecord): string => new TextDecoder().decode(r.data);

/** Round `round`: `per` records for each key, `<key>:<round>:<i>`, in order per key. */
async function putRound(stream: string, round: number, per: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < per; i++) {
    const records = KEYS.map((k) => ({ Data: Buffer.from(`${k.name}:${round}:${i}`), PartitionKey: k.name, ExplicitHashKey: k.hash }));
    const r = await kinesis().send(new PutRecordsCommand({ StreamName: stream, Records: records }));
    if (r.FailedRecordCount) throw new Error(`${r.FailedRecordCount} records were not put`);
    out.push(...records.map((x) => x.Data.toString()));
  }
  return out;
}

const open = (shards: Shard[]): Shard[] =>
  shards.filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined).sort((a, b) => (BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1));
const width = (s: Shard): bigint => BigInt(s.HashKeyRange!.EndingHashKey!) - BigInt(s.HashKeyRange!.StartingHashKey!);

/**
 * Reshard number `step` (1, 2, …): odd steps merge the open shards at positions k, k+1 (by hash
 * key; k = 0, 1, 2, …), even steps split the widest open shard. From 4 quarters a b c d:
 * a+b → M; M → M1 M2; M2+c → N (a merge across lineages); N → N1 N2; N2+d → P; P → P1 P2.
 */
async function reshard(stream: string, step: number): Promise<void> {
  const shards = open(await listShards(stream));
  if (step % 2 === 1) {
    const k = ((step - 1) / 2) % (shards.length - 1);
    await mergeShards(stream, shards[k]!.ShardId!, shards[k + 1]!.ShardId!);
  } else {
    const widest = shards.reduce((a, b) => (width(b) > width(a) ? b : a));
    await splitShard(stream, widest.ShardId!);
  }
}

/** Whether every expected record has been seen (once or more). */
const allSeen = (seen: readonly string[], expected: readonly string[]): boolean => {
  const got = new Set(seen);
  return expected.every((x) => got.has(x));
};

/** Every record once, and per key in the order it was put. */
function checkExactlyOnceInOrder(seen: readonly string[], expected: readonly string[]): void {
  expect(seen.length).toBe(expected.length);
  expect(new Set(seen)).toEqual(new Set(expected));
  const perKey = (xs: readonly string[]): Map<string, string[]> => {
    const m = new Map<string, string[]>();
    for (const x of xs) {
      const k = x.slice(0, x.indexOf(':'));
      m.set(k, [...(m.get(k) ?? []), x]);
    }
    return m;
  };
  const want = perKey(expected);
  for (const [k, got] of perKey(seen)) expect(got, `the records of ${k} in order`).toEqual(want.get(k));
}

describe('a stream resharded again and again', () => {
  it('direct stream: every record once and in order per key; the checkpoint keeps the open shards only, and a restored job reads no finished shard again', { timeout: 180_000 }, async () => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const stream = uniqueName('forget-direct');
    await createKinesisStream(stream, SHARDS);
    const params = { endpointUrl: kinesisEndpoint, regionName: REGION, initialPosition: InitialPositionInStream.TRIM_HORIZON, messageHandler: text };
    const expected = await putRound(stream, 0, 3);
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const s = KinesisUtils.createDirectStream(ssc, stream, params);
    const seen: string[] = [];
    s.foreachRDD((rdd) => void seen.push(...rdd.collect()));
    await ssc.start();
    const catchUp = async (): Promise<void> => {
      for (let i = 0; i < 20 && !allSeen(seen, expected); i++) await clock.advance(1000);
      await clock.advance(1000); // and one batch more: nothing else comes
    };
    await catchUp();
    for (let step = 1; step <= RESHARDS; step++) {
      await reshard(stream, step);
      expected.push(...(await putRound(stream, step, 3)));
      await catchUp();
      checkExactlyOnceInOrder(seen, expected);
      const meta = s.generatedPosition(clock.getTimeMillis()) as DirectKinesisPosition;
      // Caught up: each closed shard was read to its end and its children are tracked, so it is forgotten.
      const openIds = open(await listShards(stream)).map((x) => x.ShardId!).sort();
      expect(Object.keys(meta.position).sort(), `positions after reshard ${step}`).toEqual(openIds);
      expect(meta.finished, `finished shards kept after reshard ${step}`).toEqual([]);
      expect([...s.currentPositions().keys()].sort()).toEqual(openIds);
    }
    const all = await listShards(stream);
    expect(all.length - open(all).length).toBe(CLOSED); // ListShards still lists every closed shard
    checkExactlyOnceInOrder(seen, expected);
    const last = s.generatedPosition(clock.getTimeMillis()) as DirectKinesisPosition;
    expect(last.v).toBe(2);
    await ssc.stop();

    // Restored from that record, and from the record the previous version wrote (v1: every
    // finished shard listed): only the records put since are read — no closed shard from TRIM_HORIZON again.
    const closed = all.filter((x) => x.SequenceNumberRange?.EndingSequenceNumber !== undefined).map((x) => x.ShardId!);
    const v1 = { ...last, v: 1, finished: closed };
    let round = RESHARDS + 1;
    for (const meta of [last, v1]) {
      const more = await putRound(stream, round++, 2);
      const clock2 = new ManualClock(clock.getTimeMillis());
      const ssc2 = new StreamingContext({ batchDuration: 1000, clock: clock2 });
      cleanups.push(() => ssc2.stop());
      const s2 = KinesisUtils.createDirectStream(ssc2, stream, params);
      const seen2: string[] = [];
      s2.foreachRDD((rdd) => void seen2.push(...rdd.collect()));
      s2.restoreCheckpoint({ time: clock.getTimeMillis(), state: [], slices: [], meta });
      await ssc2.start();
      await clock2.advance(3000);
      checkExactlyOnceInOrder(seen2, more);
      const after = s2.generatedPosition(clock2.getTimeMillis()) as DirectKinesisPosition;
      expect(after.finished).toEqual([]); // v1's finished shards forgotten at the first completed batch
      expect(Object.keys(after.position).sort()).toEqual(open(all).map((x) => x.ShardId!).sort());
      await ssc2.stop();
      // The next restore starts where this one stopped.
      last.position = after.position;
      v1.position = after.position;
    }
  });

  it('receiver stream: every record once and in order per key; the lease table keeps the open shards\' leases only, and a restarted job reads no finished shard again', { timeout: 180_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const stream = uniqueName('forget-receiver');
    const app = uniqueName('forget-app');
    await createKinesisStream(stream, SHARDS);
    const expected = await putRound(stream, 0, 3);
    const table = new LeaseTable(app, stream, { endpointUrl: kinesisEndpoint, regionName: REGION, dynamoDBEndpoint });
    cleanups.push(() => table.close());

    const run = async (seen: string[]): Promise<StreamingContext> => {
      const ssc = new StreamingContext({ batchDuration: 200 });
      cleanups.push(() => ssc.stop());
      const records = KinesisUtils.createStream(ssc, app, stream, kinesisEndpoint, REGION, InitialPositionInStream.TRIM_HORIZON, 100,
        StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined,
        { dynamoDBEndpoint, messageHandler: text, leaseTimeout: 3000, shardSyncInterval: 200, idleReadInterval: 100 });
      records.foreachRDD((rdd) => void seen.push(...rdd.collect()));
      await ssc.start();
      return ssc;
    };
    const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> => {
      const t0 = Date.now();
      while (!(await ok())) {
        if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
        await sleep(50);
      }
    };
    /** Leases left once the closed shards' children have checkpointed: the open shards' alone. */
    const leasesSettle = async (step: number): Promise<void> => {
      const openIds = open(await listShards(stream)).map((x) => x.ShardId!).sort();
      let keys: string[] = [];
      await until(`the lease table to hold the open shards' leases only after reshard ${step}`, async () => {
        keys = (await table.list()).map((l) => l.leaseKey).sort();
        return keys.length <= openIds.length;
      }, 15_000).catch(() => undefined);
      expect(keys, `leases after reshard ${step}`).toEqual(openIds);
    };

    const seen: string[] = [];
    const ssc = await run(seen);
    await until('the first records', () => allSeen(seen, expected));
    for (let step = 1; step <= RESHARDS; step++) {
      await reshard(stream, step);
      expected.push(...(await putRound(stream, step, 3)));
      await until(`the records after reshard ${step}`, () => allSeen(seen, expected));
      await leasesSettle(step);
      checkExactlyOnceInOrder(seen, expected);
    }
    await sleep(300); // nothing more comes
    checkExactlyOnceInOrder(seen, expected);
    const all = await listShards(stream);
    expect(all.length - open(all).length).toBe(CLOSED); // ListShards still lists every closed shard
    await ssc.stop();

    // A job of the same application started again: the open shards go on from their checkpoints,
    // the finished ones (no lease, still listed) are not read again from TRIM_HORIZON.
    const more = await putRound(stream, RESHARDS + 1, 2);
    const seen2: string[] = [];
    const ssc2 = await run(seen2);
    await until('the records put before the restart', () => allSeen(seen2, more));
    await sleep(1000); // a shard sync or two: nothing old comes
    await ssc2.stop();
    checkExactlyOnceInOrder(seen2, more);
    expect((await table.list()).map((l) => l.leaseKey).sort()).toEqual(open(all).map((x) => x.ShardId!).sort());
  });
});
