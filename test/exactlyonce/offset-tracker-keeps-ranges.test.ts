/**
 * OffsetTracker keeps each batch's offset ranges, not its RDD: with the README's writer pattern
 * (no forget) it held every batch's records — 200 k records a batch grew the heap to 439 MB in
 * 40 batches. A batch's RDD must be collectable once the stream is done with it, its ranges
 * still known.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ManualClock, OffsetTracker, StreamingContext } from '../../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('OffsetTracker', () => {
  it('lets a batch’s RDD go while keeping its ranges (no forget)', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const queue: number[][] = [];
    let offset = 0;
    const rdds: WeakRef<object>[] = [];
    // A stand-in for the direct stream: each RDD has offsetRanges().
    const kafkaLike = ssc.queueStream(queue, true).transform((rdd) => {
      const from = offset;
      offset += 1000;
      rdds.push(new WeakRef(rdd));
      return Object.assign(rdd, { offsetRanges: () => [{ topic: 't', partition: 0, fromOffset: from, untilOffset: offset }] });
    });
    const tracker = new OffsetTracker();
    const seen: number[] = [];
    tracker.track(kafkaLike).count().foreachRDD((_rdd, time) => void seen.push(tracker.rangesAt(time)[0]!.untilOffset));
    await ssc.start();
    for (let i = 0; i < 6; i++) {
      queue.push(Array.from({ length: 1000 }, (_, j) => j));
      await clock.advance(1000);
    }
    await ssc.stop();
    await new Promise((r) => setTimeout(r, 0));
    gc();
    expect(rdds[0]!.deref()).toBeUndefined();
    expect(tracker.rangesAt(1000)).toEqual([{ topic: 't', partition: 0, fromOffset: 0, untilOffset: 1000 }]);
    expect(seen).toEqual([1000, 2000, 3000, 4000, 5000, 6000]);
    tracker.forget(6000);
    expect(() => tracker.rangesAt(1000)).toThrow(/no offset ranges recorded for batch 1000/);
  });

  it('asks the RDD again for ranges not decided when the batch was tracked', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    let decided: { topic: string; partition: number; fromOffset: number; untilOffset: number }[] | undefined;
    const stream = ssc.queueStream([[1]]).transform((rdd) =>
      Object.assign(rdd, {
        offsetRanges: () => {
          if (!decided) throw new Error('the offset ranges of this batch have not been decided yet');
          return decided;
        },
      }),
    );
    const tracker = new OffsetTracker();
    const got: unknown[] = [];
    tracker.track(stream).foreachRDD((_rdd, time) => {
      decided = [{ topic: 't', partition: 0, fromOffset: 0, untilOffset: 1 }];
      got.push(tracker.rangesAt(time));
    });
    await ssc.start();
    await clock.advance(1000);
    await ssc.stop();
    expect(got).toEqual([[{ topic: 't', partition: 0, fromOffset: 0, untilOffset: 1 }]]);
  });
});
