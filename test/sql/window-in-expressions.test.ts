/**
 * window() inside another expression is the row's own window, as Spark's TimeWindowing rule
 * (ResolveTimeWindows) makes it: the operator's input gets the window column first (a tumbling
 * window drops the rows whose time is NULL, a sliding one gives a row per window, Spark's Expand)
 * and every window() of the operator reads it. So `window(t, …).start` is a TIMESTAMP in a select,
 * selectExpr, withColumn, groupBy key, filter or sort. Before, a window() that was not a whole
 * select item or groupBy key was the internal array of windows (`array<timestamp>`, a cast to
 * string gave "[{…}]"). Two different window() calls in one operator are refused as Spark's; a
 * start time whose absolute value is not less than the slide is refused as TimeWindow's
 * checkInputDataTypes.
 */
import { describe, expect, it } from 'vitest';
import { AnalysisException, MemoryStream, functions as F, type Row } from '../../src/sql/index.js';
import { collecting, session } from './helpers.js';

const T = new Date('2017-11-04T09:05:03Z');
const iso = (v: unknown) => (v as Date).toISOString();

function frame() {
  return session().createDataFrame([{ t: T, k: 'a' }, { t: null, k: 'b' }], 't TIMESTAMP, k STRING');
}
const types = (df: ReturnType<typeof frame>) => df.schema.fields.map((f) => `${f.name}:${f.dataType.simpleString()}`);

describe('window() inside an expression', () => {
  it('a field of a tumbling window is a timestamp; a cast or concat reads the one window', () => {
    const w = () => F.window('t', '10 minutes');
    const df = frame().select(
      w().getField('start').alias('s'),
      w().cast('string').alias('c'),
      F.concat(F.lit('x'), w().getField('end')).alias('x'),
    );
    expect(types(df)).toEqual(['s:timestamp', 'c:string', 'x:string']);
    const rows = df.collect();
    expect(rows.map((r) => [iso(r.s), r.c, r.x])).toEqual([['2017-11-04T09:00:00.000Z', '{2017-11-04 09:00:00, 2017-11-04 09:10:00}', 'x2017-11-04 09:10:00']]);
  });

  it('a sliding window gives a row per window, each reading its own', () => {
    const df = frame().select(F.col('k'), F.window('t', '10 minutes', '5 minutes').getField('start').alias('s'));
    expect(types(df)).toEqual(['k:string', 's:timestamp']);
    expect(df.collect().map((r) => `${String(r.k)} ${iso(r.s)}`)).toEqual(['a 2017-11-04T09:05:00.000Z', 'a 2017-11-04T09:00:00.000Z']);
  });

  it('selectExpr reads it the same way, with the NULL time dropped as Spark', () => {
    const df = frame().selectExpr('k', "window(t, '10 minutes').start AS s", "CAST(window(t, '10 minutes') AS STRING) AS c");
    expect(types(df)).toEqual(['k:string', 's:timestamp', 'c:string']);
    expect(df.collect().map((r) => [r.k, iso(r.s), r.c])).toEqual([['a', '2017-11-04T09:00:00.000Z', '{2017-11-04 09:00:00, 2017-11-04 09:10:00}']]);
    const sliding = frame().selectExpr("window(t, '10 minutes', '5 minutes').end > t AS open");
    expect(sliding.collect().map((r) => r.open)).toEqual([true, true]);
  });

  it('withColumn keeps the columns and expands a sliding window', () => {
    const df = frame().withColumn('s', F.window('t', '10 minutes', '5 minutes').getField('start'));
    expect(types(df)).toEqual(['t:timestamp', 'k:string', 's:timestamp']);
    expect(df.collect().map((r) => iso(r.s))).toEqual(['2017-11-04T09:05:00.000Z', '2017-11-04T09:00:00.000Z']);
  });

  it('a groupBy key of a window field groups by the timestamp, a row per sliding window', () => {
    const df = frame()
      .groupBy(F.window('t', '10 minutes', '5 minutes').getField('start').alias('s'))
      .agg(F.count('*').alias('n'))
      .orderBy('s');
    expect(types(df)).toEqual(['s:timestamp', 'n:bigint']);
    expect(df.collect().map((r) => `${iso(r.s)} ${String(r.n)}`)).toEqual(['2017-11-04T09:00:00.000Z 1', '2017-11-04T09:05:00.000Z 1']);
  });

  it('a filter reads each row window by window and keeps the columns', () => {
    const from = (iso: string) => frame().where(F.window('t', '10 minutes', '5 minutes').getField('start').geq(F.lit(new Date(iso))));
    expect(from('2017-11-04T09:05:00Z').columns).toEqual(['t', 'k']);
    expect(from('2017-11-04T09:05:00Z').collect().map((r) => r.k)).toEqual(['a']);
    expect(from('2017-11-04T09:00:00Z').collect().map((r) => r.k)).toEqual(['a', 'a']); // both windows of the row pass
    expect(frame().where(F.window('t', '10 minutes').getField('end').isNotNull()).count()).toBe(1);
  });

  it('a sort reads it too and keeps the columns', () => {
    const df = session().createDataFrame([{ t: T, k: 'a' }, { t: new Date('2017-11-04T09:15:00Z'), k: 'b' }, { t: null, k: 'c' }], 't TIMESTAMP, k STRING');
    const sorted = df.orderBy(F.window('t', '10 minutes').getField('start').desc());
    expect(sorted.columns).toEqual(['t', 'k']);
    expect(sorted.collect().map((r) => r.k)).toEqual(['b', 'a']);
  });

  it('in SQL: a select item of the window grouped on, a WHERE', () => {
    const spark = session();
    spark.createDataFrame([{ t: T, k: 'a' }, { t: new Date('2017-11-04T09:15:00Z'), k: 'b' }, { t: null, k: 'c' }], 't TIMESTAMP, k STRING').createOrReplaceTempView('v');
    const g = spark.sql("SELECT window(t, '10 minutes').start AS s, count(*) AS n FROM v GROUP BY window(t, '10 minutes') ORDER BY s");
    expect(types(g)).toEqual(['s:timestamp', 'n:bigint']);
    expect(g.collect().map((r) => `${iso(r.s)} ${String(r.n)}`)).toEqual(['2017-11-04T09:00:00.000Z 1', '2017-11-04T09:10:00.000Z 1']);
    const w = spark.sql("SELECT k FROM v WHERE window(t, '10 minutes').start > CAST('2017-11-04 09:05:00' AS TIMESTAMP)");
    expect(w.collect().map((r) => r.k)).toEqual(['b']);
  });

  it('the same window twice is one window; two different ones are refused as Spark', () => {
    const df = frame().select(F.window('t', '10 minutes').alias('w'), F.window('t', '10 minutes').getField('start').alias('s'));
    expect(df.collect().map((r) => [iso((r.w as Row).start), iso(r.s)])).toEqual([['2017-11-04T09:00:00.000Z', '2017-11-04T09:00:00.000Z']]);
    const msg = 'Multiple time/session window expressions would result in a cartesian product of rows, therefore they are currently not supported.';
    expect(() => frame().select(F.window('t', '10 minutes'), F.window('t', '5 minutes').getField('start'))).toThrow(msg);
    expect(() => frame().groupBy(F.window('t', '10 minutes'), F.window('t', '20 minutes')).count()).toThrow(msg);
    expect(() => frame().selectExpr("window(t, '10 minutes').start", "window(t, '10 minutes', '5 minutes').end")).toThrow(msg);
  });

  it('a start time of at least the slide is refused (TimeWindow.checkInputDataTypes)', () => {
    const violation = (left: string, lv: string, op: string, right: string, rv: string, exprs: string) =>
      `[DATATYPE_MISMATCH.PARAMETER_CONSTRAINT_VIOLATION] Cannot resolve "window(t, ${exprs})" due to data type mismatch: The \`${left}\`(${lv}) must be ${op} the \`${right}\`(${rv}).`;
    expect(() => F.window('t', '10 minutes', '5 minutes', '12 minutes')).toThrow(AnalysisException);
    expect(() => F.window('t', '10 minutes', '5 minutes', '12 minutes')).toThrow(
      violation('abs(start_time)', '720000000L', '<', 'slide_duration', '300000000L', '600000000, 300000000, 720000000'),
    );
    expect(() => F.window('t', '10 minutes', '5 minutes', '-5 minutes')).toThrow('The `abs(start_time)`(300000000L) must be < the `slide_duration`(300000000L).');
    expect(() => F.window('t', '5 minutes', '10 minutes')).toThrow(
      violation('slide_duration', '600000000L', '<=', 'window_duration', '300000000L', '300000000, 600000000, 0'),
    );
    expect(frame().select(F.window('t', '10 minutes', '5 minutes', '-4 minutes').getField('start').alias('s')).collect().map((r) => iso(r.s))).toEqual([
      '2017-11-04T09:01:00.000Z',
      '2017-11-04T08:56:00.000Z',
    ]);
  });

  it('a streaming aggregation on a window field counts per window', async () => {
    const spark = session();
    const input = new MemoryStream<{ t: Date }>(spark, 't TIMESTAMP');
    const df = input
      .toDF()
      .withWatermark('t', '10 seconds')
      .groupBy(F.window('t', '10 seconds', '5 seconds').getField('start').cast('long').alias('s'))
      .count();
    const { query, newAnswer } = await collecting(df, 'update', ['s', 'count']);
    input.addData({ t: new Date(7000) }, { t: new Date(12_000) });
    await query.processAllAvailable();
    expect((await newAnswer()).sort()).toEqual([[0, 1], [10, 1], [5, 2]]);
    await query.stop();
  });
});
