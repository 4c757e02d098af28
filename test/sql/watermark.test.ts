/** Vectors of Spark's EventTimeWatermarkSuite and StreamingDeduplicationSuite, on the dstreams engine. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/context/Clock.js';
import { StreamingContext } from '../../src/context/StreamingContext.js';
import { AnalysisException, MemoryStream, StructType, functions as F, type DataFrame } from '../../src/sql/index.js';
import { StaticScan, Watermark } from '../../src/sql/plan.js';
import { MicroBatchInput } from '../../src/sql/streaming/MicroBatchInput.js';
import { WatermarkTracker } from '../../src/sql/streaming/WatermarkTracker.js';
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
    expect(() => df.writeStream.outputMode('append').format('console').start()).toThrow(/without watermark/);
  });

  it('withWatermark needs a timestamp column', () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    expect(() => input.toDF().withWatermark('value', '1 second')).toThrow(/Event time must be defined on a window or a timestamp/);
  });

  it('on a MemoryStream with neither data nor schema yet, the error says its columns are guessed as strings and how to give it a schema', () => {
    const spark = session();
    const untyped = new MemoryStream<{ t: Date; word: string }>(spark);
    expect(() => untyped.toDF().withWatermark('t', '1 second')).toThrow(/no data nor schema yet.*new MemoryStream\(spark, 't timestamp, …'\)/);
    // With a schema it works; with data first too.
    expect(() => new MemoryStream<{ t: Date; word: string }>(spark, 't timestamp, word string').toDF().withWatermark('t', '1 second')).not.toThrow();
    const fed = new MemoryStream<{ t: Date; word: string }>(spark);
    fed.addData({ t: new Date(0), word: 'a' });
    expect(() => fed.toDF().withWatermark('t', '1 second')).not.toThrow();
  });

  // Spark: an Alias keeps its child attribute's metadata (EventTimeWatermark.delayKey).
  it.each([
    ['select(col.as)', (df: DataFrame) => df.select(F.col('eventTime').as('t'))],
    ['withColumnRenamed', (df: DataFrame) => df.withColumnRenamed('eventTime', 't')],
    ['selectExpr AS', (df: DataFrame) => df.selectExpr('value', 'eventTime AS t')],
  ])('a watermarked column renamed by %s keeps its watermark: append windows are emitted, late rows dropped', async (_how, rename) => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    const watermarked = input.toDF().withColumn('eventTime', F.col('value').cast('timestamp')).withWatermark('eventTime', '10 seconds');
    const df = rename(watermarked)
      .groupBy(F.window(F.col('t'), '5 seconds').alias('window'))
      .agg(F.count('*').alias('count'))
      .select(F.col('window').getField('start').cast('long').alias('start'), F.col('count'));
    const q = await collecting(df, 'append', ['start', 'count']);
    input.addData(10, 11, 12, 13, 14, 15);
    expect(await q.newAnswer()).toEqual([]);
    input.addData(25); // watermark → 15 s
    expect(await q.newAnswer()).toEqual([[10, 5]]);
    input.addData(10); // below the watermark
    expect(await q.newAnswer()).toEqual([]);
    expect(q.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(2);
  });

  it('a watermarked column renamed by spark.sql AS keeps its watermark (dropDuplicates evicts and drops late rows)', async () => {
    const spark = session();
    const input = new MemoryStream<number>(spark, 'integer');
    input.toDF().withColumn('eventTime', F.col('value').cast('timestamp')).withWatermark('eventTime', '10 seconds').createOrReplaceTempView('events');
    const df = spark.sql('SELECT value, eventTime AS ts FROM events').dropDuplicates(['value', 'ts']).select('value');
    const q = await collecting(df, 'append', ['value']);
    input.addData(1, 2, 3);
    expect(await q.newAnswer()).toEqual([[1], [2], [3]]);
    input.addData(25); // watermark → 15: the keys of 1, 2, 3 are evicted
    expect(await q.newAnswer()).toEqual([[25]]);
    expect(q.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(1);
    input.addData(3); // late: dropped, not a new key
    expect(await q.newAnswer()).toEqual([]);
    expect(q.query.recentProgress.some((p) => p.stateOperators[0]!.numRowsDroppedByWatermark === 1)).toBe(true);
  });
});

/** value < 100 passes; eventTime = value seconds, watermark 10 s, 5 s windows in append mode. */
function filteredCounts(spark: SparkSession, filter: (watermarked: DataFrame) => DataFrame): { input: MemoryStream<number>; df: DataFrame } {
  const input = new MemoryStream<number>(spark, 'integer');
  const watermarked = input.toDF().withColumn('eventTime', F.col('value').cast('timestamp')).withWatermark('eventTime', '10 seconds');
  const df = filter(watermarked)
    .groupBy(F.window(F.col('eventTime'), '5 seconds').alias('window'))
    .agg(F.count('*').alias('count'))
    .select(F.col('window').getField('start').cast('long').alias('start'), F.col('count'));
  return { input, df };
}

describe('filters after withWatermark (Spark pushes them below the watermark)', () => {
  it.each([
    ['where(value < 100)', (df: DataFrame) => df.where(F.col('value').lt(100))],
    ['a SQL where string', (df: DataFrame) => df.where('value < 100')],
    ['after a select', (df: DataFrame) => df.select('eventTime', 'value').where(F.col('value').lt(100))],
    ['on a renamed column', (df: DataFrame) => df.withColumnRenamed('value', 'v').where(F.col('v').lt(100))],
    ['on a computed column', (df: DataFrame) => df.withColumn('twice', F.col('value').multiply(2)).where(F.col('twice').lt(200))],
    ['after another filter', (df: DataFrame) => df.where(F.col('value').gt(0)).where(F.col('value').lt(100))],
  ])('rows removed by a filter %s not on the event time do not advance the watermark', async (_how, filter) => {
    const spark = session();
    const { input, df } = filteredCounts(spark, filter);
    const q = await collecting(df, 'append', ['start', 'count']);
    input.addData(10, 11, 12);
    expect(await q.newAnswer()).toEqual([]);
    input.addData(1000); // filtered out: the watermark stays at 2 s
    expect(await q.newAnswer()).toEqual([]);
    expect(q.query.lastProgress!.eventTime!.watermark).toBe('1970-01-01T00:00:02.000Z');
    input.addData(25); // → 15 s
    expect(await q.newAnswer()).toEqual([[10, 3]]);
  });

  it('a conjunct on the event-time column stays above the watermark: rows it removes still advance it', async () => {
    const spark = session();
    const { input, df } = filteredCounts(spark, (w) => w.where(F.col('value').notEqual(500).and(F.col('eventTime').lt(new Date(100_000)))));
    const q = await collecting(df, 'append', ['start', 'count']);
    input.addData(10, 11, 12);
    expect(await q.newAnswer()).toEqual([]);
    input.addData(500); // removed below the watermark: not counted
    expect(await q.newAnswer()).toEqual([]);
    input.addData(1000); // removed above it by eventTime < 100 s: counted, watermark → 990 s
    expect(await q.newAnswer()).toEqual([[10, 3]]);
    expect(q.query.lastProgress!.eventTime!.watermark).toBe('1970-01-01T00:16:30.000Z');
  });
});

/** Two withWatermarks in a row (Spark's EventTimeWatermarkSuite "overriding watermark"): first a − 10 s, second b − 20 s. */
function twoWatermarks(spark: SparkSession): { input: MemoryStream<{ a: number; b: number }>; df: DataFrame } {
  const input = new MemoryStream<{ a: number; b: number }>(spark, 'a LONG, b LONG');
  const df = input
    .toDF()
    .withColumn('first', F.col('a').cast('timestamp'))
    .withColumn('second', F.col('b').cast('timestamp'))
    .withWatermark('first', '10 seconds')
    .withWatermark('second', '20 seconds')
    .groupBy(F.window(F.col('second'), '10 seconds').alias('window'))
    .count()
    .select(F.col('window').getField('start').cast('long').alias('start'), F.col('count'));
  return { input, df };
}

/** Two withWatermarks of one plan (as a stream-stream join or a union would have; chained ones are refused). */
function trackerOfTwo(): { tracker: WatermarkTracker; first: Watermark; second: Watermark } {
  const scan = new StaticScan(new StructType().add('first', 'timestamp').add('second', 'timestamp'), () => []);
  const first = new Watermark(scan, 'first', 10_000);
  const second = new Watermark(scan, 'second', 20_000);
  return { tracker: new WatermarkTracker([first, second]), first, second };
}

describe('several withWatermarks (Spark\'s WatermarkTracker, spark.sql.streaming.multipleWatermarkPolicy)', () => {
  it('a withWatermark over another withWatermark of the same stream is refused at start(), as Spark 3.5 ("Redefining watermark is disallowed")', async () => {
    const spark = session();
    const { df } = twoWatermarks(spark);
    await expect(collecting(df, 'append', ['start', 'count'])).rejects.toThrow(
      /^Redefining watermark is disallowed: withWatermark\('second'\) is over another withWatermark of the same stream\. Define one watermark per stream/,
    );
    await expect(collecting(df, 'append', ['start', 'count'])).rejects.toThrow(AnalysisException);
    expect(spark.streams.active).toEqual([]);
  });

  it('each withWatermark keeps its own watermark; the query\'s is their min by default', () => {
    const { tracker, first, second } = trackerOfTwo();
    let state = { watermark: 0, watermarkPolicy: 'min' as const };
    const batch = (time: number, a: number, b: number) => {
      tracker.observe(time, first, a * 1000);
      tracker.observe(time, second, b * 1000);
      const next = tracker.after(time, state.watermark, state);
      state = { ...next, watermarkPolicy: 'min' };
      return next.watermark / 1000;
    };
    expect(batch(1000, 100, 200)).toBe(90); // first 90, second 180 → min 90
    expect(batch(2000, 150, 240)).toBe(140); // first 140, second 220
    expect(batch(3000, 300, 240)).toBe(220); // first 290, second 220
  });

  it('multipleWatermarkPolicy max: the query\'s watermark is the max of them', () => {
    const { tracker, first, second } = trackerOfTwo();
    tracker.observe(1000, first, 100_000);
    tracker.observe(1000, second, 200_000);
    expect(tracker.after(1000, 0, { watermark: 0, watermarkPolicy: 'max' }).watermark).toBe(180_000);
  });

  it('an unknown multipleWatermarkPolicy fails start()', async () => {
    const spark = session();
    spark.conf.set('spark.sql.streaming.multipleWatermarkPolicy', 'random');
    const input = new MemoryStream<{ a: number }>(spark, 'a LONG');
    const df = input.toDF().withColumn('t', F.col('a').cast('timestamp')).withWatermark('t', '10 seconds').dropDuplicates(['t']);
    await expect(collecting(df, 'append', ['t'])).rejects.toThrow(/Valid values are 'min' and 'max'/);
  });

  it('a checkpoint written before per-withWatermark tracking loads: its watermark is kept, the policy is min, each withWatermark starts unset', () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const input = new MicroBatchInput(ssc.graph, () => ({ watermark: 0 }), 'max');
    // The meta this version's predecessor wrote: { v, committed, watermark, lastBatchWatermark, pending? }.
    const old = { v: 1, committed: { offset: 2 }, watermark: 180_000, lastBatchWatermark: 90_000 };
    input.restoreCheckpoint({ time: 3000, state: [], slices: [], meta: old });
    expect(input.position).toMatchObject({ ...old, watermarkPolicy: 'min' });
    expect(input.position.operatorWatermarks).toBeUndefined();
    const scan = new StaticScan(new StructType().add('first', 'timestamp').add('second', 'timestamp'), () => []);
    const first = new Watermark(scan, 'first', 10_000);
    const second = new Watermark(first, 'second', 20_000);
    const tracker = new WatermarkTracker([second, first]);
    tracker.observe(4000, first, 150_000);
    tracker.observe(4000, second, 240_000);
    // min(140 s, 220 s) is behind the restored 180 s: the query's watermark stays, each operator's is now known.
    expect(tracker.after(4000, 180_000, input.position)).toEqual({ watermark: 180_000, operatorWatermarks: [220_000, 140_000] });
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

  it('deduplicate with watermark on keys without the event time: late rows are dropped, keys kept', async () => {
    const spark = session();
    const input = new MemoryStream<{ id: string; t: number }>(spark, 'id STRING, t LONG');
    const df = input.toDF().withColumn('ts', F.col('t').cast('timestamp')).withWatermark('ts', '10 seconds').dropDuplicates(['id']).select('id', 't');
    const q = await collecting(df, 'append', ['id', 't']);
    input.addData({ id: 'a', t: 5 });
    expect(await q.newAnswer()).toEqual([['a', 5]]);
    input.addData({ id: 'b', t: 30 }); // watermark → 20 s
    expect(await q.newAnswer()).toEqual([['b', 30]]);
    input.addData({ id: 'c', t: 20 }, { id: 'd', t: 21 }); // 20 ≤ 20: late
    expect(await q.newAnswer()).toEqual([['d', 21]]);
    expect(q.query.lastProgress!.stateOperators[0]!.numRowsDroppedByWatermark).toBe(1);
    input.addData({ id: 'a', t: 40 }); // 'a' is never evicted (ts is not a key): still a duplicate
    expect(await q.newAnswer()).toEqual([]);
    expect(q.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(3);
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
