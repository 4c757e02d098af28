// A transform function runs when its batch is generated (as Spark's), and may run an action there:
// async work that action starts belongs to that batch as an output operation's does (jobWork.ts).
// Its failure fails the batch — listeners and awaitTermination hear it once — instead of escaping
// as an unhandled rejection, which ends the process.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('an async action inside transform', () => {
  it('whose work fails fails its batch, not the process; the outputs of that batch do not run', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const failures: (string | undefined)[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (i) => void failures.push(i.failureReason?.split('\n')[0]) });
    const ran: number[] = [];
    ssc
      .queueStream([[1, 2], [3, 4]])
      .transform((rdd, time) => {
        void rdd.foreach(async () => {
          await sleep(10);
          if (time === 2000) throw new Error('action in transform failed');
        });
        return rdd;
      })
      .foreachRDD((_rdd, time) => void ran.push(time));
    try {
      await ssc.start();
      await clock.advance(1000);
      await expect(clock.advance(1000)).rejects.toThrow('action in transform failed');
      await expect(ssc.awaitTerminationOrTimeout(1000)).rejects.toThrow('action in transform failed');
      await sleep(20);
      expect(failures).toEqual([undefined, 'Error: action in transform failed']);
      expect(ran).toEqual([1000]);
      expect(unhandled).toEqual([]);
      // Nobody awaited the context when it failed: said once, as any batch's failure.
      expect(errors.mock.calls.map((c) => String(c[0]).split('\n')[0])).toEqual(['[dstreams] the streaming context stops on an error: Error: action in transform failed']);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await ssc.stop().catch(() => undefined);
    }
  });
});
