/**
 * A no-data batch (eviction by a watermark that moved) runs only after a batch of the same run, as
 * Spark's MicroBatchExecution (`lastExecution.shouldRunAnotherBatch`; a restarted query has no
 * lastExecution). A query restarted with nothing new runs no batch, whatever the checkpointed watermark.
 * Spark 3.5.3's batches here: scenarios z_restart_default_trigger and once_window_append of the
 * differential run (.tmp/ss-diff).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { functions as F, type DataFrame, type Row, type SparkSession, type StreamingQuery } from '../../src/sql/index.js';
import { session, tempDir } from './helpers.js';

function setup(spark: SparkSession) {
  const base = tempDir();
  const input = join(base, 'in');
  mkdirSync(input);
  let n = 0;
  const put = (...ts: number[]): void => {
    const tmp = join(base, `.tmp-${n}`);
    writeFileSync(tmp, ts.map((t) => JSON.stringify({ t }) + '\n').join(''));
    renameSync(tmp, join(input, `part-${String(n++).padStart(3, '0')}.json`));
  };
  const df: DataFrame = spark.readStream
    .schema('t LONG')
    .json(input)
    .selectExpr('CAST(t AS TIMESTAMP) AS ts')
    .withWatermark('ts', '5 seconds')
    .groupBy(F.window(F.col('ts'), '10 seconds'))
    .count();
  const batches: { id: number; rows: Row[] }[] = [];
  const start = (trigger?: { once: true }): StreamingQuery => {
    let w = df.writeStream.outputMode('append').option('checkpointLocation', join(base, 'ckpt'));
    if (trigger) w = w.trigger(trigger);
    return w.foreachBatch((b, id) => void batches.push({ id, rows: b.collect() })).start();
  };
  return { put, start, batches };
}

describe('a no-data batch follows only a batch of the same run', () => {
  it('a restart with the default trigger and nothing new runs no batch; new data then runs its batch and the no-data batch after it', async () => {
    const spark = session();
    const { put, start, batches } = setup(spark);
    put(1);
    put(25);
    let q = start({ once: true });
    await q.awaitTermination(); // batch 0; the watermark is 20 s after it
    q = start();
    await q.processAllAvailable();
    await q.stop();
    expect(batches.map((b) => b.id)).toEqual([0]);
    put(26);
    q = start();
    await q.processAllAvailable();
    await q.stop();
    expect(batches.map((b) => b.id)).toEqual([0, 1, 2]);
    expect(q.recentProgress.map((p) => [p.batchId, p.numInputRows, p.eventTime?.watermark])).toEqual([
      [1, 1, '1970-01-01T00:00:20.000Z'],
      [2, 0, '1970-01-01T00:00:21.000Z'],
    ]);
  });

  it('Trigger.once after a restart with nothing new runs no batch', async () => {
    const spark = session();
    const { put, start, batches } = setup(spark);
    put(1, 5);
    put(12);
    put(25);
    let q = start({ once: true });
    await q.awaitTermination();
    put(3);
    put(40);
    q = start({ once: true });
    await q.awaitTermination();
    for (let i = 0; i < 2; i++) {
      q = start({ once: true });
      await q.awaitTermination();
      expect(q.recentProgress).toEqual([]);
    }
    expect(batches.map((b) => b.id)).toEqual([0, 1]);
  });
});
