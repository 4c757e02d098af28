// A disk-backed reduceByKeyAndWindow resumed with skipMissedBatches catches up the slides it
// missed in its first batch on a slide. Those changes are that batch's: the commits of the batches
// before it, written meanwhile (group commit), must not count them as written — they did, and the
// store's older values then came back into the window (a 5 that never left, say). The windows must
// equal those of the memory store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';

async function run(store: 'memory' | 'disk', windowMs: number, slideMs: number, stopAt: number, resumeAt: number): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'disk-window-skip-'));
  const log: string[] = [];
  const job = (clock: ManualClock): StreamingContext => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc
      .rateStream<[string, number]>({ rowsPerBatch: 1, generate: (t) => ['a', t / 1000] })
      .reduceByKeyAndWindow((a: number, b: number) => a + b, (a: number, b: number) => a - b, windowMs, slideMs, { name: 'w', stateStore: store })
      .foreachRDD((rdd, t) => void log.push(`${t / 1000}:${JSON.stringify(rdd.collect())}`));
    return ssc;
  };
  try {
    let clock = new ManualClock(0);
    let ssc = await StreamingContext.getOrCreate(dir, () => job(clock));
    await ssc.start();
    await clock.advance(stopAt * 1000);
    await ssc.stop();
    clock = new ManualClock(resumeAt * 1000);
    ssc = await StreamingContext.getOrCreate(dir, () => job(clock), { skipMissedBatches: true });
    await ssc.start();
    for (let i = 0; i < 8; i++) await clock.advance(1000);
    await ssc.stop();
    return log;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('disk-backed reduceByKeyAndWindow resumed with skipMissedBatches', () => {
  const cases: Array<[number, number, number, number]> = [
    [4000, 2000, 5, 10],
    [2000, 3000, 3, 7],
    [2000, 3000, 4, 9],
    [5000, 2000, 5, 6],
    [6000, 3000, 5, 6],
    [3000, 2000, 2, 12],
  ];
  for (const [windowMs, slideMs, stopAt, resumeAt] of cases) {
    it(`window ${windowMs} ms sliding ${slideMs} ms, stopped at ${stopAt} s, resumed at ${resumeAt} s: the windows of the memory store`, async () => {
      expect(await run('disk', windowMs, slideMs, stopAt, resumeAt)).toEqual(await run('memory', windowMs, slideMs, stopAt, resumeAt));
    });
  }
});
