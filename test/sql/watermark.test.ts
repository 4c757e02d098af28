/** Vectors of Spark's EventTimeWatermarkSuite and StreamingDeduplicationSuite, on the dstreams engine. */
import { describe, expect, it } from 'vitest';
import { MemoryStream, functions as F, type DataFrame } from '../../src/sql/index.js';
import type { SparkSession } from '../../src/sql/index.js';
import { collecting, session, sortTuples, tempDir } from './helpers.js';

function windowedCounts(spark: SparkSession): { input: MemoryStream<number>; df: DataFrame } {
  const input = new MemoryStream<number>(spark, 'integer');
  const df = input
    .toDF()
    .withColumn('eventTime', F.col('value').cast('timestamp'))
    .withWatermark('eventTime', '10 seconds')
    .groupBy(F.window(F.col('eventTime'), '5 seconds').alias('window'))
    .agg(F.count('*').alias('count'))
    .select(F.col('window').getField('start').cast('long').alias('start'), F.col('count'));
  return { input, df };
}

describe('watermark + window (EventTimeWatermarkSuite)', () => {
  it('append mode: a window is emitted once the watermark passes its end; late rows are dropped', async () => {
    const spark = session();
    const { input, df } = windowedCounts(spark);
    const q = await collecting(df, 'append', ['start', 'count']);
    input.addData(10, 11, 12, 13, 14, 15);
    expect(await q.newAnswer()).toEqual([]);
    input.addData(25); // watermark → 15 s
    expect(await q.newAnswer()).toEqual([[10, 5]]);
    expect(q.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(2);
    input.addData(10); // below the watermark
    expect(await q.newAnswer()).toEqual([]);
    expect(q.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(2);
    expect(q.query.recentProgress.some((p) => p.stateOperators[0]!.numRowsDroppedByWatermark === 1)).toBe(true);
  });

  it('update mode: every changed window each batch, late rows ignored', async () => {
    const spark = session();
    const { input, df } = windowedCounts(spark);
    const q = await collecting(df, 'update', ['start', 'count']);
    input.addData(10, 11, 12, 13, 14, 15);
    expect(await q.newAnswer()).toEqual(sortTuples([[10, 5], [15, 1]]));
    input.addData(25);
    expect(await q.newAnswer()).toEqual([[25, 1]]);
    expect(q.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(2);
    input.addData(10, 25);
    expect(await q.newAnswer()).toEqual([[25, 2]]);
    input.addData(10);
    expect(await q.newAnswer()).toEqual([]);
    expect(q.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(2);
  });

  it('no-data batches: foreachBatch gets an empty frame, progress reports the watermark the batch ran with', async () => {
    const spark = session();
    const { input, df } = windowedCounts(spark);
    const q = await collecting(df, 'append', ['start', 'count']);
    input.addData(15);
    await q.newAnswer();
    // batch 0 (data, watermark 0) and batch 1 (no data, watermark 5 s)
    expect(q.batches.map((b) => [b.id, b.rows.length])).toEqual([[0, 0], [1, 0]]);
    expect(q.query.recentProgress.map((p) => [p.batchId, p.numInputRows, p.eventTime?.watermark])).toEqual([
      [0, 1, '1970-01-01T00:00:00.000Z'],
      [1, 0, '1970-01-01T00:00:05.000Z'],
    ]);
    expect(q.query.recentProgress[0]!.eventTime).toMatchObject({ min: '1970-01-01T00:00:15.000Z', max: '1970-01-01T00:00:15.000Z' });
  });

  it('Trigger.Once runs one batch per start and keeps the watermark in the checkpoint', async () => {
    const spark = session();
    const { input, df } = windowedCounts(spark);
    const dir = tempDir();
    const answers: unknown[][] = [];
    const run = async () => {
      const q = await collecting(df, 'append', ['start', 'count'], { checkpointLocation: dir, trigger: { once: true } });
      await q.query.awaitTermination();
      answers.push(sortTuples(q.batches.flatMap((b) => b.rows.map((r) => [r.start, r.count]))));
      return q.query.lastProgress!;
    };
    input.addData(10, 12, 14, 15);
    await run();
    input.addData(25);
    expect((await run()).eventTime!.watermark).toBe('1970-01-01T00:00:05.000Z');
    input.addData(50);
    expect((await run()).eventTime!.watermark).toBe('1970-01-01T00:00:15.000Z');
    input.addData(50);
    expect((await run()).eventTime!.watermark).toBe('1970-01-01T00:00:40.000Z');
    expect(answers).toEqual([[], [], [[10, 3]], sortTuples([[15, 1], [25, 1]])]);
  });

  it('recovery: a restarted query keeps the watermark (late rows stay ignored)', async () => {
    const spark = session();
    const { input, df } = windowedCounts(spark);
    const dir = tempDir();
    let q = await collecting(df, 'append', ['start', 'count'], { checkpointLocation: dir });
    input.addData(10, 11, 12, 13, 14, 15);
    input.addData(25);
    expect(await q.newAnswer()).toEqual([[10, 5]]);
    await q.query.stop();
    q = await collecting(df, 'append', ['start', 'count'], { checkpointLocation: dir });
    input.addData(10, 27, 30); // watermark → 20 s, 10 ignored
    expect(await q.newAnswer()).toEqual([[15, 1]]);
    await q.query.stop();
    q = await collecting(df, 'append', ['start', 'count'], { checkpointLocation: dir });
    input.addData(17); // still 20 s: ignored
    expect(await q.newAnswer()).toEqual([]);
    input.addData(40); // → 30 s
    expect(await q.newAnswer()).toEqual([[25, 2]]);
  });

  it('sliding windows: a row counts in every window that contains it', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const df = input
      .toDF()
      .withColumn('eventTime', F.col('value').cast('timestamp'))
      .groupBy(F.window('eventTime', '10 seconds', '5 seconds'))
      .count()
      .select(F.col('window.start').cast('long').alias('start'), F.col('window.end').cast('long').alias('end'), 'count');
    const q = await collecting(df, 'complete', ['start', 'end', 'count']);
    input.addData(12, 13, 17);
    expect(await q.newAnswer()).toEqual(sortTuples([[5, 15, 2], [10, 20, 3], [15, 25, 1]]));
  });

  it('append on an aggregation whose watermark is not on a grouping column is refused', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const df = input.toDF().withColumn('eventTime', F.col('value').cast('timestamp')).withWatermark('eventTime', '10 seconds').groupBy('value').count();
    await expect(df.writeStream.outputMode('append').format('console').start()).rejects.toThrow(/without watermark/);
  });

  it('withWatermark needs a timestamp column', () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    expect(() => input.toDF().withWatermark('value', '1 second')).toThrow(/Event time must be defined on a window or a timestamp/);
  });
});

describe('dropDuplicates (StreamingDeduplicationSuite)', () => {
  it('deduplicate with all columns', async () => {
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const q = await collecting(input.toDF().dropDuplicates(), 'append', ['value']);
    input.addData('a');
    expect(await q.newAnswer()).toEqual([['a']]);
    input.addData('a');
    expect(await q.newAnswer()).toEqual([]);
    input.addData('a', 'b', 'b');
    expect(await q.newAnswer()).toEqual([['b']]);
  });

  it('deduplicate with watermark: late rows dropped, old keys forgotten', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const df = input
      .toDF()
      .withColumn('eventTime', F.col('value').cast('timestamp'))
      .withWatermark('eventTime', '10 seconds')
      .dropDuplicates(['value', 'eventTime'])
      .select(F.col('eventTime').cast('long').alias('t'));
    const q = await collecting(df, 'append', ['t']);
    input.addData(...Array.from({ length: 6 }, (_, i) => i + 1)); // 1..6
    expect(await q.newAnswer()).toEqual([1, 2, 3, 4, 5, 6].map((t) => [t]));
    expect(q.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(6);
    input.addData(25); // watermark → 15: all earlier keys evicted
    expect(await q.newAnswer()).toEqual([[25]]);
    expect(q.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(1);
    input.addData(10); // late
    expect(await q.newAnswer()).toEqual([]);
    input.addData(45); // watermark → 35
    expect(await q.newAnswer()).toEqual([[45]]);
    expect(q.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(1);
  });

  it('deduplicate with watermark: a row whose event time is null is never evicted (null is not at or below the watermark)', async () => {
    const spark = session();
    const input = new MemoryStream<{ id: string; t: number | null }>(spark, 'id STRING, t LONG');
    const df = input.toDF().withColumn('ts', F.col('t').cast('timestamp')).withWatermark('ts', '10 seconds').dropDuplicates(['id', 'ts']).select('id');
    const q = await collecting(df, 'append', ['id']);
    input.addData({ id: 'a', t: null }, { id: 'b', t: 100 });
    expect(await q.newAnswer()).toEqual([['a'], ['b']]);
    input.addData({ id: 'a', t: null }, { id: 'b', t: 100 });
    expect(await q.newAnswer()).toEqual([]);
  });

  it('complete mode with a watermark runs no extra batch without data (Spark runs one only in append and update)', async () => {
    const spark = session();
    const { input, df } = windowedCounts(spark);
    const batches: number[] = [];
    const q = await df.writeStream.outputMode('complete').foreachBatch((_b, id) => void batches.push(id)).start();
    input.addData(10, 11, 30);
    await q.processAllAvailable();
    expect(batches).toEqual([0]);
    await q.stop();
  });
});
