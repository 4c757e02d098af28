/**
 * dropDuplicates below a streaming aggregation: two state operators in one query, as Spark 3.5
 * runs it (answers from Spark 3.5.3, .tmp/ss-diff scenarios dedup_then_count_update/complete).
 * Each operator's state is its own checkpoint entry: a restart restores both.
 */
import { describe, expect, it } from 'vitest';
import { AnalysisException, MemoryStream, functions as F } from '../../src/sql/index.js';
import { collecting, session, sortTuples, tempDir } from './helpers.js';

type KI = { k: string; id: number };
const rows = (...pairs: [string, number][]): KI[] => pairs.map(([k, id]) => ({ k, id }));

describe('dropDuplicates then groupBy().count() (two state operators)', () => {
  it('update mode: the rows the dedup keeps are counted (Spark 3.5)', async () => {
    const spark = session();
    const input = new MemoryStream<KI>(spark, 'k STRING, id INT');
    const q = await collecting(input.toDF().dropDuplicates(['id']).groupBy('k').count(), 'update', ['k', 'count']);
    input.addData(...rows(['a', 1], ['a', 1], ['b', 2]));
    expect(await q.newAnswer()).toEqual([['a', 1], ['b', 1]]);
    input.addData(...rows(['a', 1], ['a', 3]));
    expect(await q.newAnswer()).toEqual([['a', 2]]);
    // Spark reports the aggregation's state (its first state operator): 2 groups.
    expect(q.query.lastProgress!.stateOperators[0]).toMatchObject({ operatorName: 'stateStoreSave', numRowsTotal: 2 });
  });

  it('complete mode: the whole table of counts of distinct ids (Spark 3.5)', async () => {
    const spark = session();
    const input = new MemoryStream<KI>(spark, 'k STRING, id INT');
    const q = await collecting(input.toDF().dropDuplicates(['id']).groupBy('k').count(), 'complete', ['k', 'count']);
    input.addData(...rows(['a', 1], ['a', 1]));
    expect(await q.newAnswer()).toEqual([['a', 1]]);
    input.addData(...rows(['a', 2]));
    expect(await q.newAnswer()).toEqual([['a', 2]]);
  });

  it('a restart on the same checkpoint restores both states: seen ids stay deduplicated, counts go on', async () => {
    const spark = session();
    const input = new MemoryStream<KI>(spark, 'k STRING, id INT');
    const df = input.toDF().where(F.col('id').isNotNull()).dropDuplicates(['id']).select('k', 'id').groupBy('k').count();
    const dir = tempDir();
    const all: KI[] = [];
    const feed = (...r: KI[]) => {
      all.push(...r);
      input.addData(...r);
    };
    // Brute force: the count per k of the distinct ids seen so far.
    const expected = (ks: string[]) =>
      sortTuples(ks.map((k) => [k, new Set(all.filter((r) => r.k === k).map((r) => r.id)).size]));
    let q = await collecting(df, 'update', ['k', 'count'], { checkpointLocation: dir });
    feed(...rows(['a', 1], ['a', 1], ['b', 2]));
    expect(await q.newAnswer()).toEqual(expected(['a', 'b']));
    feed(...rows(['a', 1], ['a', 3]));
    expect(await q.newAnswer()).toEqual(expected(['a']));
    await q.query.stop();

    q = await collecting(df, 'update', ['k', 'count'], { checkpointLocation: dir });
    feed(...rows(['a', 1], ['a', 3], ['b', 2], ['b', 4], ['c', 5]));
    // ids 1, 3, 2 were seen before the restart (dedup state), a's 2 and b's 1 were counted (aggregation state).
    expect(await q.newAnswer()).toEqual([['b', 2], ['c', 1]]);
    expect(await q.newAnswer()).toEqual([]);
    feed(...rows(['a', 6], ['c', 5]));
    expect(await q.newAnswer()).toEqual(expected(['a']));
    expect(q.batches.map((b) => b.id)).toEqual([2, 3]);
    await q.query.stop();

    // A third run: both states again, from a checkpoint that now holds deltas after the first commit.
    q = await collecting(df, 'update', ['k', 'count'], { checkpointLocation: dir });
    feed(...rows(['b', 4], ['b', 7]));
    expect(await q.newAnswer()).toEqual(expected(['b']));
  });

  it('with a watermark: the dedup drops late rows before they are counted', async () => {
    const spark = session();
    const input = new MemoryStream<{ k: string; t: number }>(spark, 'k STRING, t LONG');
    const df = input
      .toDF()
      .withColumn('ts', F.col('t').cast('timestamp'))
      .withWatermark('ts', '10 seconds')
      .dropDuplicates(['k', 'ts'])
      .groupBy('k')
      .count();
    const q = await collecting(df, 'update', ['k', 'count']);
    input.addData({ k: 'a', t: 100 }, { k: 'a', t: 100 }, { k: 'b', t: 101 });
    expect(await q.newAnswer()).toEqual([['a', 1], ['b', 1]]); // watermark now 91 s
    input.addData({ k: 'a', t: 102 });
    expect(await q.newAnswer()).toEqual([['a', 2]]); // ran with 91 s; watermark now 92 s
    input.addData({ k: 'a', t: 50 }, { k: 'b', t: 105 });
    expect(await q.newAnswer()).toEqual([['b', 2]]); // t = 50 s is below 91 s: late, dropped by the dedup
  });

  it('other combinations of stateful operators are refused, naming them', () => {
    const spark = session();
    const input = new MemoryStream<KI>(spark, 'k STRING, id INT');
    expect(() => input.toDF().dropDuplicates(['id']).dropDuplicates(['k'])).toThrow(
      'dropDuplicates after a streaming dropDuplicates is not supported: a query runs one, optionally below an aggregation',
    );
    expect(() => input.toDF().groupBy('k').count().dropDuplicates(['k'])).toThrow('dropDuplicates after a streaming aggregation is not supported');
    expect(() => input.toDF().dropDuplicates(['id']).groupBy('k').count().groupBy('count').count()).toThrow(AnalysisException);
    expect(() => input.toDF().dropDuplicates(['id']).groupBy('k').count().groupBy('count').count()).toThrow(
      'Multiple streaming aggregations are not supported with streaming DataFrames/Datasets',
    );
  });
});
