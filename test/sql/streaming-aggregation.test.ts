/** Vectors of Spark's StreamingAggregationSuite, on the dstreams engine. */
import { describe, expect, it } from 'vitest';
import { AnalysisException, MemoryStream, functions as F } from '../../src/sql/index.js';
import { collecting, session, sortTuples, tempDir } from './helpers.js';

describe('streaming aggregation (StreamingAggregationSuite)', () => {
  it('simple count, update mode — state survives a restart from the checkpoint', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const aggregated = input.toDF().groupBy(F.col('value')).agg(F.count('*'));
    expect(aggregated.columns).toEqual(['value', 'count(1)']);
    const dir = tempDir();
    let q = await collecting(aggregated, 'update', ['value', 'count(1)'], { checkpointLocation: dir });
    input.addData(3);
    expect(await q.newAnswer()).toEqual([[3, 1]]);
    input.addData(3, 2);
    expect(await q.newAnswer()).toEqual(sortTuples([[3, 2], [2, 1]]));
    await q.query.stop();
    q = await collecting(aggregated, 'update', ['value', 'count(1)'], { checkpointLocation: dir });
    input.addData(3, 2, 1);
    expect(await q.newAnswer()).toEqual(sortTuples([[3, 3], [2, 2], [1, 1]]));
    input.addData(4, 4, 4, 4);
    expect(await q.newAnswer()).toEqual([[4, 4]]);
    expect(q.batches.map((b) => b.id)).toEqual([2, 3]);
  });

  it('a restart with a changed aggregation is refused (Spark\'s state schema check), not run on the old buffers', async () => {
    const spark = session();
    const input = new MemoryStream<{ k: string; v: number }>(spark);
    input.addData({ k: 'a', v: 100 }, { k: 'a', v: 200 });
    const dir = tempDir();
    const counted = await collecting(input.toDF().groupBy('k').count(), 'update', ['k', 'count'], { checkpointLocation: dir });
    await counted.query.processAllAvailable();
    await counted.query.stop();
    input.addData({ k: 'a', v: 1000 });
    const summed = await collecting(input.toDF().groupBy('k').agg(F.sum('v').alias('s')), 'update', ['k', 's'], { checkpointLocation: dir });
    await expect(summed.query.processAllAvailable()).rejects.toThrow(
      /schema for existing state: the checkpoint's stateStoreSave state is key \(string\), aggregates \(count bigint\), this query's is key \(string\), aggregates \(sum bigint\)/,
    );
    expect(summed.batches).toEqual([]);
    // The same query again resumes; so does one whose names changed but not its types (Spark ignores names).
    const again = await collecting(input.toDF().groupBy('k').count(), 'update', ['k', 'count'], { checkpointLocation: dir });
    expect(await again.newAnswer()).toEqual([['a', 3]]);
    await again.query.stop();
    input.addData({ k: 'a', v: 1 });
    const renamed = await collecting(input.toDF().groupBy(F.col('k').alias('word')).agg(F.count('v').alias('n')), 'update', ['word', 'n'], { checkpointLocation: dir });
    expect(await renamed.newAnswer()).toEqual([['a', 4]]);
  });

  it('simple count, complete mode — the whole table every batch, across a restart', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const aggregated = input.toDF().groupBy('value').agg(F.count('*'));
    const dir = tempDir();
    let q = await collecting(aggregated, 'complete', ['value', 'count(1)'], { checkpointLocation: dir });
    input.addData(3);
    expect(await q.newAnswer()).toEqual([[3, 1]]);
    input.addData(2);
    expect(await q.newAnswer()).toEqual(sortTuples([[3, 1], [2, 1]]));
    await q.query.stop();
    q = await collecting(aggregated, 'complete', ['value', 'count(1)'], { checkpointLocation: dir });
    input.addData(3, 2, 1);
    expect(await q.newAnswer()).toEqual(sortTuples([[3, 2], [2, 2], [1, 1]]));
    input.addData(4, 4, 4, 4);
    expect(await q.newAnswer()).toEqual(sortTuples([[4, 4], [3, 2], [2, 2], [1, 1]]));
  });

  it('typed aggregates: count, sum, avg, min, max with nulls', async () => {
    const spark = session();
    const input = new MemoryStream<{ k: string; v: number | null }>(spark, 'k STRING, v INT');
    const agg = input
      .toDF()
      .groupBy('k')
      .agg(F.count('v').alias('n'), F.sum('v').alias('s'), F.avg('v').alias('a'), F.min('v').alias('lo'), F.max('v').alias('hi'));
    const q = await collecting(agg, 'update', ['k', 'n', 's', 'a', 'lo', 'hi']);
    input.addData({ k: 'x', v: 1 }, { k: 'x', v: 3 }, { k: 'y', v: null });
    expect(await q.newAnswer()).toEqual([
      ['x', 2, 4, 2, 1, 3],
      ['y', 0, null, null, null, null],
    ]);
    // A later batch folds into the state: each buffer merges (count and sum add, avg keeps [sum, n]).
    input.addData({ k: 'x', v: 8 }, { k: 'y', v: -1 }, { k: 'x', v: null });
    expect(await q.newAnswer()).toEqual([
      ['x', 3, 12, 4, 1, 8],
      ['y', 1, -1, -1, -1, -1],
    ]);
  });

  it('append mode without a watermark is refused at start()', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const agg = input.toDF().groupBy('value').count();
    expect(() => agg.writeStream.outputMode('append').format('console').start()).toThrow(
      'Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark',
    );
    expect(() => agg.writeStream.outputMode('append').format('console').start()).toThrow(AnalysisException);
  });

  it('complete mode without an aggregation is refused at start()', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    expect(() => input.toDF().writeStream.outputMode('complete').format('console').start()).toThrow(
      'Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets',
    );
  });

  it('two streaming aggregations are refused', () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    expect(() => input.toDF().groupBy('value').count().groupBy('count').count()).toThrow(
      'Multiple streaming aggregations are not supported with streaming DataFrames/Datasets',
    );
  });

  it('a limit is refused in update mode (Spark), and below a state operator (dstreams), each saying so', () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    expect(() => input.toDF().limit(3).writeStream.outputMode('update').format('console').start()).toThrow(
      'Limits are not supported on streaming DataFrames/Datasets in Update output mode',
    );
    expect(() => input.toDF().limit(3).dropDuplicates().writeStream.outputMode('append').format('console').start()).toThrow(/^A limit below a streaming aggregation/);
  });

  it('sorting is allowed only after an aggregation in complete mode', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const sorted = input.toDF().groupBy('value').count().orderBy(F.col('count').desc());
    expect(() => sorted.writeStream.outputMode('update').format('console').start()).toThrow(/Sorting is not supported/);
    const q = await collecting(sorted, 'complete', ['value', 'count']);
    input.addData(1, 2, 2, 3, 3, 3);
    const out: unknown[][] = [];
    await q.query.processAllAvailable();
    for (const r of q.batches.at(-1)!.rows) out.push([r.value, r.count]);
    expect(out).toEqual([[3, 3], [2, 2], [1, 1]]);
  });
});
