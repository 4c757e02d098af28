/** collect_list and collect_set in a streaming aggregation (their buffers are state), and count(DISTINCT a, b). */
import { describe, expect, it } from 'vitest';
import { MemoryStream, functions as F } from '../../src/sql/index.js';
import { collecting, session, tempDir } from './helpers.js';

describe('collect aggregates in a streaming aggregation', () => {
  it('collect_list and collect_set keep their values across a restart from the checkpoint; an emitted row does not change later', async () => {
    const spark = session();
    const input = new MemoryStream<{ k: string; v: number | null }>(spark, 'k STRING, v INT');
    const agg = input
      .toDF()
      .groupBy('k')
      .agg(F.collect_list('v').alias('all'), F.collect_set('v').alias('set'), F.count('v').alias('n'));
    const dir = tempDir();
    let q = await collecting(agg, 'complete', ['k', 'all', 'set', 'n'], { checkpointLocation: dir });
    input.addData({ k: 'a', v: 1 }, { k: 'a', v: 1 }, { k: 'a', v: null }, { k: 'b', v: 2 });
    const first = await q.newAnswer();
    expect(first).toEqual([
      ['a', [1, 1], [1], 2],
      ['b', [2], [2], 1],
    ]);
    await q.query.stop();
    q = await collecting(agg, 'complete', ['k', 'all', 'set', 'n'], { checkpointLocation: dir });
    input.addData({ k: 'a', v: 3 }, { k: 'b', v: 2 });
    const second = await q.newAnswer();
    expect(second.map(([k, all, set, n]) => [k, all, (set as number[]).slice().sort(), n])).toEqual([
      ['a', [1, 1, 3], [1, 3], 3],
      ['b', [2, 2], [2], 2],
    ]);
    // The first batch's rows were not grown by the second.
    expect(first[0]![1]).toEqual([1, 1]);
  });

  it('count(DISTINCT a, b) is refused on a stream, as Spark refuses every distinct aggregation there', () => {
    const spark = session();
    const input = new MemoryStream<{ k: string; v: number }>(spark, 'k STRING, v INT');
    expect(() => input.toDF().groupBy('k').agg(F.countDistinct('k', 'v'))).toThrow(/Distinct aggregations are not supported on streaming/);
  });

  it('the generated names are Spark\'s', () => {
    const spark = session();
    const df = spark.createDataFrame([{ k: 'a', v: 1 }], 'k STRING, v INT');
    expect(df.groupBy('k').agg(F.collect_list('v'), F.collect_set('v'), F.countDistinct('k', 'v')).columns).toEqual([
      'k',
      'collect_list(v)',
      'collect_set(v)',
      'count(DISTINCT k, v)',
    ]);
  });
});
