/**
 * A memory sink resumes from a checkpoint only in complete mode, as Spark's DataStreamWriter
 * (recoverFromCheckpointLocation = outputMode == Complete): in append mode its table would start
 * empty and show only what later batches add, so a start on a checkpoint a run already wrote is
 * refused with Spark's message (recoverQueryFromCheckpointUnsupportedError).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnalysisException, MemoryStream } from '../../src/sql/index.js';
import { session, tempDir } from './helpers.js';

describe('a memory sink on an existing checkpoint', () => {
  it('append mode: the second start is refused, naming what to delete (checkpointLocation option)', async () => {
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const ck = tempDir();
    const start = () => input.toDF().writeStream.format('memory').queryName('rows').option('checkpointLocation', ck).start();
    const q = start();
    input.addData('a', 'b');
    await q.processAllAvailable();
    expect(spark.table('rows').collect().map((r) => r.value)).toEqual(['a', 'b']);
    await q.stop();
    expect(start).toThrow(AnalysisException);
    expect(start).toThrow(`This query does not support recovering from checkpoint location. Delete ${join(ck, 'engine')} to start over.`);
    expect(spark.streams.active).toEqual([]);
  });

  it('append mode under spark.sql.streaming.checkpointLocation (Listing 7.15 run twice)', async () => {
    const base = tempDir();
    const run = async () => {
      const spark = session();
      spark.conf.set('spark.sql.streaming.checkpointLocation', base);
      const input = new MemoryStream<string>(spark, 'string');
      const q = input.toDF().writeStream.format('memory').queryName('trips').start();
      input.addData('x');
      await q.processAllAvailable();
      await q.stop();
    };
    await run();
    await expect(run()).rejects.toThrow(`Delete ${join(base, 'trips', 'engine')} to start over.`);
  });

  it('complete mode resumes', async () => {
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const ck = tempDir();
    const start = () => input.toDF().groupBy('value').count().writeStream.format('memory').outputMode('complete').queryName('counts').option('checkpointLocation', ck).start();
    const q1 = start();
    input.addData('a', 'a');
    await q1.processAllAvailable();
    await q1.stop();
    const q2 = start();
    input.addData('a');
    await q2.processAllAvailable();
    expect(q2.exception()).toBeNull();
    expect(spark.table('counts').collect()).toEqual([{ value: 'a', count: 3 }]);
  });

  it('a checkpointLocation no run wrote yet is taken in append mode', async () => {
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const q = input.toDF().writeStream.format('memory').queryName('fresh').option('checkpointLocation', join(tempDir(), 'new')).start();
    input.addData('a');
    await q.processAllAvailable();
    expect(spark.table('fresh').collect().map((r) => r.value)).toEqual(['a']);
  });
});
