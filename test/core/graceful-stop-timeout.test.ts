// gracefulStopTimeout (Spark's spark.streaming.gracefulStopTimeout, default 10 × batchDuration)
// bounds a graceful stop: once it has passed the context stops generating, with a warning — the
// batches generated still run, as Spark's executor finishes its jobs (their input was taken); the
// generations waiting for their inputs are dropped (test/kinesis/direct-graceful-stop-timeout).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('graceful stop bounded by gracefulStopTimeout', () => {
  it('a batch running past the bound finishes and the batches generated behind it still run, with a warning; no batch is generated after', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock, gracefulStopTimeout: 300 });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const done: number[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD(async (_, t) => {
      await gate;
      done.push(t);
    });
    await ssc.start();
    const advanced = clock.advance(3000); // batches 1000, 2000, 3000 due; 1000 blocks
    await sleep(5);
    const t0 = Date.now();
    const stopped = ssc.stop({ graceful: true });
    setTimeout(open, 700);
    await stopped;
    await advanced;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(650); // the running batch was waited for
    expect(done).toEqual([1000, 2000, 3000]);
    await clock.advance(2000).catch(() => undefined);
    expect(done).toEqual([1000, 2000, 3000]);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/graceful stop timed out after 300 ms \(gracefulStopTimeout\)/)]);
    await expect(ssc.awaitTermination()).resolves.toBeUndefined();
  });

  it('within the bound a graceful stop runs every batch due, without a warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock, gracefulStopTimeout: 5000 });
    const done: number[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD(async (_, t) => {
      await sleep(50);
      done.push(t);
    });
    await ssc.start();
    const advanced = clock.advance(3000);
    await sleep(5);
    await ssc.stop({ graceful: true });
    await advanced;
    expect(done).toEqual([1000, 2000, 3000]);
    expect(warn).not.toHaveBeenCalled();
  });
});
