/**
 * A context stopped while a batch is being made — by a listener told of it (onBatchSubmitted,
 * onBatchStarted) that throws or calls stop(), or by a transform — keeps no timer: the batch
 * timer had already fired, and must not arm itself again (it would, every millisecond, forever,
 * and the process would never exit). Also: a failure nobody awaits is logged; a listener's error
 * after the stop completed is logged; bad listener callbacks and stop flags are refused.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StreamingContext, type StreamingListener } from '../../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** How many timers are set in the 150 ms after the context terminated: a timer arming itself again sets ~100. */
async function timersSetAfterStop(setup: (ssc: StreamingContext) => void): Promise<number> {
  const ssc = new StreamingContext({ batchDuration: 50 });
  setup(ssc);
  await ssc.start();
  await ssc.awaitTermination().catch(() => undefined);
  const spy = vi.spyOn(globalThis, 'setTimeout');
  try {
    await sleep(150);
    return spy.mock.calls.length - 1; // the sleep's own
  } finally {
    spy.mockRestore();
  }
}

describe('stopping while a batch is made', () => {
  const input = (ssc: StreamingContext) => ssc.queueStream<number>([[1], [2], [3], [4]]);
  const stopAtSecond = (ssc: StreamingContext, event: keyof StreamingListener, how: 'throw' | 'stop'): void => {
    let n = 0;
    ssc.addStreamingListener({
      [event]: () => {
        if (++n !== 2) return;
        if (how === 'throw') throw new Error('listener bug');
        void ssc.stop();
      },
    });
  };

  it.each([
    ['onBatchSubmitted', 'throw'],
    ['onBatchStarted', 'throw'],
    ['onBatchSubmitted', 'stop'],
    ['onBatchStarted', 'stop'],
  ] as const)('a listener of %s that does "%s" arms no timer after the stop', async (event, how) => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await timersSetAfterStop((ssc) => {
        input(ssc).foreachRDD(() => {});
        stopAtSecond(ssc, event, how);
      })).toBeLessThan(3);
    } finally {
      spy.mockRestore();
    }
  });

  it('stop() from a transform arms no timer after the stop', async () => {
    expect(await timersSetAfterStop((ssc) => {
      let n = 0;
      input(ssc).transform((rdd) => {
        if (++n === 2) void ssc.stop();
        return rdd;
      }).foreachRDD(() => {});
    })).toBeLessThan(3);
  });
});

describe('failures are never silent', () => {
  let spy: { mock: { calls: unknown[][] }; mockRestore(): void };
  beforeEach(() => void (spy = vi.spyOn(console, 'error').mockImplementation(() => {})));
  afterEach(() => spy.mockRestore());
  const logged = (): string => spy.mock.calls.map((c) => String(c[0])).join('\n');
  /** A started context whose second batch's output throws. */
  async function failing(): Promise<StreamingContext> {
    const ssc = new StreamingContext({ batchDuration: 50 });
    ssc.queueStream<number>([[1], [2]]).foreachRDD(() => {
      throw new Error('job bug');
    });
    await ssc.start();
    return ssc;
  }

  it('a failure nobody awaits is logged', async () => {
    const ssc = await failing();
    await vi.waitFor(() => expect(ssc.state).toBe('stopped'), { timeout: 5000 });
    expect(logged()).toMatch(/stops on an error: Error: job bug/);
  });

  it('a failure awaited is not logged twice', async () => {
    const ssc = await failing();
    await expect(ssc.awaitTermination()).rejects.toThrow('job bug');
    expect(logged()).not.toMatch(/job bug/);
  });

  it("a listener's error after the stop completed is logged", async () => {
    const ssc = new StreamingContext({ batchDuration: 50 });
    ssc.queueStream<number>([[1], [2], [3]]).foreachRDD(() => {});
    let late: Promise<void> | undefined;
    ssc.addStreamingListener({
      onBatchCompleted: async () => {
        if (late) return;
        late = ssc.stop();
        await late;
        throw new Error('metrics flush failed');
      },
    });
    await ssc.start();
    await ssc.awaitTermination();
    await vi.waitFor(() => expect(logged()).toMatch(/after the streaming context stopped: Error: metrics flush failed/));
  });
});

describe('bad listener callbacks and stop flags', () => {
  it('are refused, naming what is wrong', async () => {
    const ssc = new StreamingContext({ batchDuration: 1000 });
    expect(() => ssc.addStreamingListener({ onBatchCompleted: 5 } as never)).toThrow("a StreamingListener's onBatchCompleted must be a function, got number");
    expect(() => ssc.stop({ graceful: 'yes' } as never)).toThrow("stop's graceful flag must be a boolean, got string");
    expect(() => ssc.stop(false, 'yes' as never)).toThrow("stop's graceful flag must be a boolean, got string");
    await ssc.stop();
  });
});
