/**
 * A limit on a stream in append mode passes n rows over the query's life (Spark's
 * StreamingGlobalLimitExec): its count is state, committed with each batch, so a restart goes on
 * counting and a re-run batch passes the same rows again.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStream, functions as F } from '../../src/sql/index.js';
import { collecting, session, tempDir } from './helpers.js';

describe('streaming limit in append mode', () => {
  it('passes n rows in all, across batches and across a restart from the checkpoint', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const limited = input.toDF().where(F.col('value').gt(0)).limit(5);
    const dir = tempDir();
    let q = await collecting(limited, 'append', ['value'], { checkpointLocation: dir });
    input.addData(1, 2, -1);
    expect(await q.newAnswer()).toEqual([[1], [2]]);
    input.addData(3, 4);
    expect(await q.newAnswer()).toEqual([[3], [4]]);
    await q.query.stop();
    q = await collecting(limited, 'append', ['value'], { checkpointLocation: dir });
    input.addData(5, 6, 7);
    expect(await q.newAnswer()).toEqual([[5]]);
    input.addData(8);
    expect(await q.newAnswer()).toEqual([]);
    expect(q.batches.map((b) => b.rows.length)).toEqual([1, 0]);
  });

  it('a batch that failed in its sink is run again with the same rows', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const dir = tempDir();
    const seen: number[][] = [];
    let fail = true;
    const start = () =>
      input
        .toDF()
        .limit(3)
        .writeStream.outputMode('append')
        .option('checkpointLocation', dir)
        .foreachBatch((df, id) => {
          const rows = df.collect().map((r) => r.value as number);
          if (id === 1 && fail) {
            fail = false;
            throw new Error('sink down');
          }
          seen.push(rows);
        })
        .start();
    let q = await start();
    input.addData(1, 2);
    await q.processAllAvailable();
    input.addData(3, 4);
    await expect(q.processAllAvailable()).rejects.toThrow(/sink down/);
    q = await start();
    await q.processAllAvailable();
    input.addData(5);
    await q.processAllAvailable();
    await q.stop();
    expect(seen).toEqual([[1, 2], [3], []]);
  });

  it('after an aggregation in complete mode, cuts each batch\'s table (unchanged)', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const top = input.toDF().groupBy('value').count().orderBy(F.col('count').desc(), 'value').limit(2);
    const q = await collecting(top, 'complete', ['value', 'count']);
    input.addData(1, 2, 2, 3, 3, 3);
    expect(await q.newAnswer()).toEqual([[2, 2], [3, 3]]);
    input.addData(1, 1, 1);
    expect(await q.newAnswer()).toEqual([[1, 4], [3, 3]]);
  });
});
