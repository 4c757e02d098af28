/**
 * Spark 3.5 (SPARK-40925, PropagateWatermarkSimulator.getInputWatermarkForLateEvents): a stateful
 * operator drops late rows by the watermark the previous batch ran with, and evicts by the
 * watermark of the batch itself. A row older than the current watermark but not the previous one
 * still counts — in the window it belongs to, which the same batch then closes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/context/Clock.js';
import { MemoryStream, SparkSession, functions as F, type DataFrame, type Row } from '../../src/sql/index.js';
import { tempDir } from './helpers.js';

function windowCounts(df: DataFrame): DataFrame {
  return df
    .withWatermark('t', '10 seconds')
    .groupBy(F.window(F.col('t'), '5 seconds').alias('w'))
    .agg(F.count('*').alias('n'))
    .select(F.col('w').getField('start').cast('long').alias('start'), F.col('n'));
}

const show = (rows: Row[]) => rows.map((r) => `${String(r.start)}:${String(r.n)}`).sort();

describe('late rows are dropped by the previous batch\'s watermark, state evicted by the current one', () => {
  it('aggregation (append): a row below the current watermark but not the previous one is counted; below both, dropped', async () => {
    const clock = new ManualClock();
    const spark = new SparkSession({ clock });
    try {
      const input = new MemoryStream<number>(spark, 'integer');
      const out: [number, string[]][] = [];
      const q = windowCounts(input.toDF().withColumn('t', F.col('value').cast('timestamp')))
        .writeStream.outputMode('append')
        .trigger({ processingTime: '1 second' })
        .foreachBatch((b, id) => void out.push([id, show(b.collect())]))
        .start();
      input.addData(10, 11, 12, 13, 14, 15);
      await clock.advance(1000); // batch 0 runs with 0; after it: 5 s
      input.addData(7, 8);
      await clock.advance(1000); // batch 1 runs with 5 s
      input.addData(26);
      await clock.advance(1000); // batch 2 runs with 5 s; after it: 16 s
      input.addData(14, 30, 3);
      await clock.advance(1000); // batch 3 runs with 16 s: late rows by 5 s (3 is, 14 is not), eviction by 16 s
      expect(out.find(([id]) => id === 3)?.[1]).toEqual(['10:6', '5:2']);
      const p3 = q.recentProgress.find((p) => p.batchId === 3)!;
      expect(p3.eventTime?.watermark).toBe('1970-01-01T00:00:16.000Z');
      expect(p3.stateOperators[0]!.numRowsDroppedByWatermark).toBe(1);
      await q.stop();
    } finally {
      await spark.stop();
    }
  });

  it('dropDuplicates: late by the previous batch\'s watermark, whatever the keys', async () => {
    const clock = new ManualClock();
    const spark = new SparkSession({ clock });
    try {
      const input = new MemoryStream<{ id: string; s: number }>(spark, 'id STRING, s INT');
      const out: string[] = [];
      const q = input
        .toDF()
        .withColumn('t', F.col('s').cast('timestamp'))
        .withWatermark('t', '10 seconds')
        .dropDuplicates(['id'])
        .writeStream.trigger({ processingTime: '1 second' })
        .foreachBatch((b) => void out.push(...b.collect().map((r) => String(r.id))))
        .start();
      input.addData({ id: 'a', s: 15 });
      await clock.advance(1000); // after batch 0: 5 s
      input.addData({ id: 'b', s: 26 });
      await clock.advance(1000); // batch 1 runs with 5 s; after it: 16 s
      input.addData({ id: 'c', s: 14 }, { id: 'd', s: 4 });
      await clock.advance(1000); // batch 2 runs with 16 s, drops late rows by 5 s: c stays, d goes
      expect(out).toEqual(['a', 'b', 'c']);
      expect(q.recentProgress.find((p) => p.batchId === 2)!.stateOperators[0]!.numRowsDroppedByWatermark).toBe(1);
      await q.stop();
    } finally {
      await spark.stop();
    }
  });

  it('after a restart, the first batch drops late rows by the watermark the last batch of the run before ran with', async () => {
    const base = tempDir();
    const dir = join(base, 'in');
    mkdirSync(dir);
    const ck = join(base, 'ck');
    const run = async (files: string[][]) => {
      const clock = new ManualClock();
      const spark = new SparkSession({ clock });
      const out: string[] = [];
      try {
        const q = windowCounts(spark.readStream.text(dir).withColumn('t', F.col('value').cast('long').cast('timestamp')))
          .writeStream.outputMode('append')
          .option('checkpointLocation', ck)
          .trigger({ processingTime: '1 second' })
          .foreachBatch((b) => void out.push(...show(b.collect())))
          .start();
        for (const [name, ...lines] of files) {
          writeFileSync(join(dir, name!), lines.join('\n') + '\n');
          await clock.advance(1000);
        }
        await q.stop();
      } finally {
        await spark.stop();
      }
      return out;
    };
    // Batch 0 runs with 0 (after it: 5 s), batch 1 with 5 s (after it: 16 s).
    expect(await run([['f0', '10', '11', '12', '13', '14', '15'], ['f1', '26']])).toEqual([]);
    // Batch 2 runs with 16 s; its late rows are those at or below 5 s.
    expect(await run([['f2', '14', '30', '3']])).toEqual(['10:6']);
  });
});
