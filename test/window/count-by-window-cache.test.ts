// countByWindow caches each batch's count while a window needs it. With a checkpoint, the counts
// of batches that left the window are dropped at each commit, whether or not an output read the
// window's RDD (they were dropped only when one did: the cache grew a count a batch).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import type { CountByWindowDStream } from '../../src/window/countByWindow.js';

describe('countByWindow with a checkpoint', () => {
  it('keeps the counts of one window, though no output reads the windows; the counts it gives stay right', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'count-by-window-'));
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc.checkpoint(dir);
    const counts = ssc.rateStream({ rowsPerBatch: 3 }).countByWindow(3000, 1000) as CountByWindowDStream<number>;
    const read: number[] = [];
    let n = 0;
    counts.foreachRDD((rdd) => {
      if (++n === 100 || n === 150) read.push(rdd.collect()[0] as number);
    });
    try {
      await ssc.start();
      for (let i = 0; i < 200; i++) await clock.advance(1000);
      expect((counts as unknown as { batchCounts: Map<number, number> }).batchCounts.size).toBeLessThanOrEqual(4);
      expect(read).toEqual([9, 9]);
    } finally {
      await ssc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
