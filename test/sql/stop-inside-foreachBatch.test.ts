// query.stop() called from the query's own batch (foreachBatch): the call does not wait for that
// batch (it would wait for itself), and the stop still ends only once the engine has released the
// checkpoint — a stop() or awaitTermination() outside resolves then, and a new run on the same
// checkpointLocation starts at once.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStream, SparkSession, type StreamingQuery } from '../../src/sql/index.js';
import { tempDir } from './helpers.js';

type Stop = 'not awaited' | 'awaited';

async function stopFromBatchThenRestart(how: Stop): Promise<{ ids: number[]; counts: unknown[] }> {
  const spark = new SparkSession({ appName: 'stop-inside' });
  try {
    const cp = join(tempDir(), 'cp');
    const input = new MemoryStream<number>(spark);
    const ids: number[] = [];
    const counts: unknown[] = [];
    const start = (stopInside: boolean): StreamingQuery => {
      const q: StreamingQuery = input
        .toDF()
        .groupBy('value')
        .count()
        .writeStream.outputMode('complete')
        .option('checkpointLocation', cp)
        .foreachBatch(async (batch, id) => {
          ids.push(id);
          counts.push(batch.collect().map((r) => [r.value, r.count]));
          if (!stopInside) return;
          if (how === 'awaited') await q.stop();
          else void q.stop();
        })
        .start();
      return q;
    };
    input.addData(1, 2);
    const q1 = start(true);
    await q1.processAllAvailable().catch(() => undefined);
    await q1.stop();
    await q1.awaitTermination();
    expect(q1.isActive).toBe(false);
    input.addData(2);
    const q2 = start(false);
    await q2.processAllAvailable();
    expect(q2.exception()).toBeNull();
    await q2.stop();
    return { ids, counts };
  } finally {
    await spark.stop();
  }
}

describe('query.stop() from inside foreachBatch', () => {
  it.each<[Stop]>([['not awaited'], ['awaited']])('%s: the stop completes, and a new run on the same checkpoint goes on from the next batch', { timeout: 30_000 }, async (how) => {
    const { ids, counts } = await stopFromBatchThenRestart(how);
    expect(ids).toEqual([0, 1]);
    expect(counts[1]).toEqual(expect.arrayContaining([[1, 1], [2, 2]]));
  });
});
