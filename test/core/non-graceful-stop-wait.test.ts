// A non-graceful stop gives the batch running 2 s, as Spark's JobScheduler.stop(false): an output
// waiting out a retry budget (a sink whose database went away) does not hold the stop; the rest of
// that batch does not run, and nothing of it completes (a restart from the checkpoint runs it again).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('non-graceful stop while an output hangs', () => {
  it('returns after about 2 s with a warning; the batch\'s other outputs do not run and it never completes', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const completed: number[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (e) => void completed.push(e.batchTime) });
    let release!: () => void;
    const hang = new Promise<void>((r) => (release = r));
    const ran: string[] = [];
    const stream = ssc.queueStream([[1]]);
    stream.foreachRDD(async () => {
      ran.push('first');
      await hang; // a sink retrying a database that went away
    });
    stream.foreachRDD(() => void ran.push('second'));
    await ssc.start();
    void clock.advance(1000).catch(() => undefined);
    await sleep(20);
    const t0 = Date.now();
    await ssc.stop();
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(4000);
    await expect(ssc.awaitTermination()).resolves.toBeUndefined();
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/stopping without waiting for the batch still running after 2000 ms/)]);
    release();
    await sleep(20);
    expect(ran).toEqual(['first']);
    expect(completed).toEqual([]);
  });

  it('a batch still being prepared when the stop gives up (a direct stream deciding its ranges) runs none of its outputs', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    let release!: () => void;
    const preparing = new Promise<void>((r) => (release = r));
    ssc.addBatchHooks({ onBatchGenerated: () => preparing });
    const ran: number[] = [];
    ssc.queueStream([[1, 2, 3]]).foreachRDD((_r, t) => void ran.push(t));
    await ssc.start();
    void clock.advance(1000).catch(() => undefined);
    await sleep(20);
    await ssc.stop();
    release();
    await sleep(50);
    expect(ran).toEqual([]);
  });

  it('a batch that finishes within the 2 s is waited for, as before', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const ran: number[] = [];
    ssc.queueStream([[1]]).foreachRDD(async (_r, t) => {
      await sleep(300);
      ran.push(t);
    });
    await ssc.start();
    void clock.advance(1000).catch(() => undefined);
    await sleep(20);
    await ssc.stop();
    expect(ran).toEqual([1000]);
  });
});
