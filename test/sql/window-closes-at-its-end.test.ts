/**
 * A window's event time, for eviction and late rows, is its end, as Spark's WatermarkSupport
 * (`window.end <= watermark`): a window [0 s, 5 s) is still open at watermark 4.999 s (a row of
 * it counts) and closes at 5 s.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStream, functions as F, type Row } from '../../src/sql/index.js';
import { session } from './helpers.js';

function query(spark: ReturnType<typeof session>) {
  const input = new MemoryStream<{ t: Date }>(spark, 't TIMESTAMP');
  const emitted: [number, string][] = [];
  const q = input
    .toDF()
    .withWatermark('t', '10 seconds')
    .groupBy(F.window(F.col('t'), '5 seconds').alias('w'))
    .agg(F.count('*').alias('n'))
    .select(F.col('w').getField('start').cast('long').alias('start'), F.col('n'))
    .writeStream.outputMode('append')
    .foreachBatch((b, id) => {
      for (const r of b.collect() as Row[]) emitted.push([id, `${String(r.start)}:${String(r.n)}`]);
    })
    .start();
  const add = async (...ms: number[]) => {
    input.addData(...ms.map((m) => ({ t: new Date(m) })));
    await q.processAllAvailable();
  };
  return { q, emitted, add };
}

describe('a window closes when the watermark reaches its end', () => {
  it('watermark 4.999 s: [0, 5) stays open and a row of it arriving then counts', async () => {
    const { q, emitted, add } = query(session());
    await add(4000);
    await add(14_999);
    expect(q.lastProgress?.eventTime?.watermark).toBe('1970-01-01T00:00:04.999Z');
    expect(emitted).toEqual([]);
    await add(4500);
    expect(q.recentProgress.map((p) => p.stateOperators[0]!.numRowsDroppedByWatermark)).toEqual(q.recentProgress.map(() => 0));
    await add(30_000);
    expect(emitted.map(([, w]) => w)).toEqual(['0:2', '10:1']);
    await q.stop();
  });

  it('watermark exactly 5 s: [0, 5) is emitted and a row of it arriving after is late', async () => {
    const { q, emitted, add } = query(session());
    await add(4000);
    await add(15_000);
    expect(q.lastProgress?.eventTime?.watermark).toBe('1970-01-01T00:00:05.000Z');
    expect(emitted.map(([, w]) => w)).toEqual(['0:1']);
    await add(4999);
    expect(q.lastProgress?.stateOperators[0]!.numRowsDroppedByWatermark).toBe(1);
    await q.stop();
  });
});
