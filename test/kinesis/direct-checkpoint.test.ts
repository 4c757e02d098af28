// What the direct Kinesis stream writes into the checkpoint: the position after the completed
// batch and the sequence-number ranges of the batches decided but not completed; restored, it
// re-reads exactly those ranges, whatever else arrived meanwhile.
import { afterEach, describe, expect, it } from 'vitest';
import {
  InitialPositionInStream,
  KinesisUtils,
  ManualClock,
  StreamingContext,
  type DirectKinesisPosition,
  type SequenceNumberRange,
} from '../../src/index.js';
import { createKinesisStream, kinesisEndpoints, listShards, putLines, REGION, uniqueName } from '../helpers/kinesis.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('direct Kinesis stream checkpoint contents', () => {
  it('carries the position after the batch and the ranges of pending batches; a restored stream re-reads exactly those', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const stream = uniqueName('pending');
    await createKinesisStream(stream, 2);
    await putLines(stream, lines('p', 200));
    const params = { endpointUrl: kinesisEndpoint, regionName: REGION, initialPosition: InitialPositionInStream.TRIM_HORIZON };

    // Run 1: advance(3000) generates batches 1000, 2000 and 3000 at once (10 records a shard
    // each); batch 1000's output takes the checkpoint delta while 2000 and 3000 are pending.
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const s1 = KinesisUtils.createDirectStream(ssc, stream, { ...params, maxRecordsPerBatch: 20 }); // 10 a shard
    const ranges = new Map<number, SequenceNumberRange[]>();
    const values = new Map<number, string[]>();
    let delta: DirectKinesisPosition | undefined;
    s1.foreachRDD(async (rdd, time) => {
      ranges.set(time, rdd.sequenceNumberRanges());
      values.set(time, rdd.collect());
      if (time === 1000) {
        // The ranges of 2000 and 3000 are decided meanwhile (each needs a read of both shards, 200 ms apart).
        const t0 = Date.now();
        do {
          await sleep(50);
          delta = s1.checkpointDelta(1000, false).meta as DirectKinesisPosition;
        } while (delta.pending.length < 2 && Date.now() - t0 < 10_000);
      }
    });
    // Spark's idiom: the ranges are there already in transform, before any output runs.
    const fromTransform = new Map<number, SequenceNumberRange[]>();
    s1.transform((rdd, time) => {
      fromTransform.set(time, rdd.sequenceNumberRanges());
      return rdd;
    }).foreachRDD(() => undefined);
    const infos = new Map<number, unknown>();
    ssc.addStreamingListener({ onBatchCompleted: (info) => void infos.set(info.batchTime, Object.values(info.streamIdToInputInfo ?? {})[0]) });
    await ssc.start();
    await clock.advance(3000);
    await ssc.stop();
    for (const t of [1000, 2000, 3000]) expect(fromTransform.get(t)).toEqual(ranges.get(t));
    // Listeners see each batch's ranges (Spark's StreamInputInfo metadata).
    expect(infos.get(2000)).toMatchObject({ numRecords: 20, metadata: { sequenceNumberRanges: ranges.get(2000) } });
    const shards = (await listShards(stream)).map((s) => s.ShardId!);
    for (const t of [1000, 2000, 3000]) {
      expect(ranges.get(t)!.map((r) => [r.shardId, r.recordCount])).toEqual(shards.map((s) => [s, 10]));
    }
    expect(delta).toEqual({
      v: 2,
      stream,
      position: Object.fromEntries(ranges.get(1000)!.map((r) => [r.shardId, r.toSeqNumber])),
      finished: [],
      pending: [
        [2000, ranges.get(2000), []],
        [3000, ranges.get(3000), []],
      ],
    });

    // Run 2, restored from that checkpoint, with no cap and more records in the stream:
    // batches 2000 and 3000 read exactly their recorded ranges; 4000 takes everything after.
    await putLines(stream, lines('q', 100));
    const clock2 = new ManualClock(1000);
    const ssc2 = new StreamingContext({ batchDuration: 1000, clock: clock2 });
    cleanups.push(() => ssc2.stop());
    const s2 = KinesisUtils.createDirectStream(ssc2, stream, params);
    const ranges2 = new Map<number, SequenceNumberRange[]>();
    const values2 = new Map<number, string[]>();
    s2.foreachRDD((rdd, time) => {
      ranges2.set(time, rdd.sequenceNumberRanges());
      values2.set(time, rdd.collect());
    });
    s2.restoreCheckpoint({ time: 1000, state: [], slices: [], meta: delta });
    await ssc2.start();
    await clock2.advance(3000);
    expect(ranges2.get(2000)).toEqual(ranges.get(2000));
    expect(ranges2.get(3000)).toEqual(ranges.get(3000));
    expect(values2.get(2000)).toEqual(values.get(2000));
    expect(values2.get(3000)).toEqual(values.get(3000));
    const rest = values2.get(4000)!;
    expect(rest).toHaveLength(200 - 60 + 100);
    const everything = [...values.get(1000)!, ...values.get(2000)!, ...values.get(3000)!, ...rest];
    expect(new Set(everything)).toEqual(new Set([...lines('p', 200), ...lines('q', 100)]));
    expect(everything).toHaveLength(300);
  });
});
