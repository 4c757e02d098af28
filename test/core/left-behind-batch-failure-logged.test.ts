// A non-graceful stop returns after 2 s without the batch still running; when that batch fails
// later its failure fails nothing any more (the context has stopped), but it is not dropped
// silently: one warning line names the batch and the error.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a batch a non-graceful stop left behind', () => {
  it('failing after the stop returned: one warning line naming the batch and the error', { timeout: 10_000 }, async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    let fail!: () => void;
    const failing = new Promise<void>((_r, reject) => (fail = () => reject(new Error('sink gave up\nafter retries'))));
    ssc.queueStream([[1]]).foreachRDD(() => failing);
    await ssc.start();
    void clock.advance(1000).catch(() => undefined);
    await sleep(20);
    await ssc.stop();
    await expect(ssc.awaitTermination()).resolves.toBeUndefined();
    fail();
    await sleep(20);
    const lines = warn.mock.calls.map((c) => String(c[0]));
    expect(lines).toEqual([
      expect.stringMatching(/stopping without waiting for the batch still running/),
      '[dstreams] batch 1000, left running by the stop, failed afterwards: Error: sink gave up after retries',
    ]);
  });
});
